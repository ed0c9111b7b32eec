package sbom

import (
	"bytes"
	"encoding/json"

	"github.com/opencontainers/go-digest"
)

// StatementType is the in-toto statement type BuildKit writes.
const StatementType = "https://in-toto.io/Statement/v0.1"

// Subject is what an in-toto statement is about: an image manifest.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

type statement struct {
	Type          string    `json:"_type"`
	PredicateType string    `json:"predicateType"`
	Subject       []Subject `json:"subject"`
	Predicate     *Document `json:"predicate"`
}

// Statement is the in-toto statement (JSON) whose predicate is doc, about
// the image manifest of digest dg, named name (a purl, as BuildKit names it).
func Statement(doc *Document, name string, dg digest.Digest) ([]byte, error) {
	st := statement{
		Type: StatementType, PredicateType: PredicateType, Predicate: doc,
		Subject: []Subject{{Name: name, Digest: map[string]string{dg.Algorithm().String(): dg.Encoded()}}},
	}
	return marshal(st)
}

// JSON is the document's JSON encoding.
func (d *Document) JSON() ([]byte, error) { return marshal(d) }

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
