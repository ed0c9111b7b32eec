package serve

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
)

// openapiDoc is the part of the OpenAPI document the test reads.
type openapiDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

// TestOpenAPI: the document parses, names every route the mux serves
// (and no other), every $ref in it resolves, and the schemas of the 429
// body and of a gate's result have the fields the server writes.
func TestOpenAPI(t *testing.T) {
	var doc openapiDoc
	if err := json.Unmarshal(openapi, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v (version %q)", err, doc.OpenAPI)
	}
	served := map[string]bool{}
	for _, rt := range (&Server{}).routes() {
		path := strings.TrimSuffix(rt.pattern, "{$}")
		key := strings.ToLower(rt.method) + " " + path
		served[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(rt.method)]; !ok {
			t.Errorf("the document lacks %s %s", rt.method, path)
		}
	}
	for path, ops := range doc.Paths {
		for m := range ops {
			if !served[m+" "+path] {
				t.Errorf("the document has %s %s, which the server does not serve", m, path)
			}
		}
	}
	refs := regexpRefs.FindAllStringSubmatch(string(openapi), -1)
	if len(refs) < 10 {
		t.Fatalf("%d $refs, want the document's", len(refs))
	}
	var raw map[string]any
	_ = json.Unmarshal(openapi, &raw)
	for _, r := range refs {
		var at any = raw
		for _, part := range strings.Split(r[1], "/") {
			m, _ := at.(map[string]any)
			at = m[part]
		}
		if at == nil {
			t.Errorf("$ref #/%s resolves to nothing", r[1])
		}
	}
	for schema, v := range map[string]any{"LimitError": limitError{}, "GateResult": builder.GateResult{}} {
		props := doc.Components.Schemas[schema].Properties
		for _, f := range jsonFields(reflect.TypeOf(v)) {
			if _, ok := props[f]; !ok {
				t.Errorf("schema %s lacks %q", schema, f)
			}
		}
	}
	for _, f := range []string{"gates", "daemon"} {
		if _, ok := doc.Components.Schemas["StepResult"].Properties[f]; !ok {
			t.Errorf("schema StepResult lacks %q", f)
		}
	}
}

// jsonFields are the JSON names of t's exported fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "-" && name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

var regexpRefs = regexp.MustCompile(`"\$ref": "#/([^"]+)"`)
