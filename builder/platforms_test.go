package builder

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
)

func TestSetResult(t *testing.T) {
	one := &solved{ref: &fakeRef{label: "a"}, config: []byte(`{"os":"linux"}`), baseConfig: []byte(`{}`)}
	res := gateway.NewResult()
	if err := setResult(res, []*solved{one}, true); err != nil {
		t.Fatal(err)
	}
	if res.Ref != one.ref || len(res.Refs) != 0 || string(res.Metadata[exptypes.ExporterImageConfigKey]) != `{"os":"linux"}` ||
		res.Metadata[exptypes.ExporterPlatformsKey] != nil {
		t.Errorf("one platform: ref %v, refs %v, metadata %v; want the single ref and its config", res.Ref, res.Refs, res.Metadata)
	}

	amd := &solved{ref: &fakeRef{label: "amd"}, config: []byte("amd"), platform: "linux/amd64"}
	arm := &solved{ref: &fakeRef{label: "arm"}, config: []byte("arm"), baseConfig: []byte("armbase"), platform: "linux/arm64"}
	res = gateway.NewResult()
	if err := setResult(res, []*solved{amd, arm}, true); err != nil {
		t.Fatal(err)
	}
	if res.Ref != nil || res.Refs["linux/amd64"] != amd.ref || res.Refs["linux/arm64"] != arm.ref {
		t.Errorf("refs %v (single %v), want one per platform", res.Refs, res.Ref)
	}
	for k, want := range map[string]string{
		"containerimage.config/linux/amd64": "amd", "containerimage.config/linux/arm64": "arm",
		"containerimage.base.config/linux/arm64": "armbase",
	} {
		if got := string(res.Metadata[k]); got != want {
			t.Errorf("metadata %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := res.Metadata["containerimage.base.config/linux/amd64"]; ok {
		t.Errorf("a base config for amd64, which has none")
	}
	var ps exptypes.Platforms
	if err := json.Unmarshal(res.Metadata[exptypes.ExporterPlatformsKey], &ps); err != nil {
		t.Fatal(err)
	}
	want := exptypes.Platforms{Platforms: []exptypes.Platform{
		{ID: "linux/amd64", Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"}},
		{ID: "linux/arm64", Platform: ocispecs.Platform{OS: "linux", Architecture: "arm64"}},
	}}
	if diff := cmp.Diff(want, ps); diff != "" {
		t.Errorf("refs.platforms (-want +got):\n%s", diff)
	}
	res = gateway.NewResult()
	if err := setResult(res, []*solved{amd, arm}, false); err != nil || len(res.Refs) != 2 || res.Metadata["containerimage.config/linux/amd64"] != nil {
		t.Errorf("without config: refs %v, metadata %v, %v; want refs only (and the platforms)", res.Refs, res.Metadata, err)
	}
}

func TestEmulated(t *testing.T) {
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	for _, tc := range []struct {
		native, p ocispecs.Platform
		want      bool
	}{
		{amd64, amd64, false},
		{amd64, ocispecs.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}, false},
		{amd64, ocispecs.Platform{OS: "linux", Architecture: "386"}, false},
		{amd64, arm64, true},
		{amd64, ocispecs.Platform{OS: "linux", Architecture: "riscv64"}, true},
		{arm64, amd64, true},
		{arm64, ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, false},
		{amd64, ocispecs.Platform{OS: "windows", Architecture: "amd64"}, true},
	} {
		if got := emulated(tc.native, tc.p); got != tc.want {
			t.Errorf("emulated(%v, %v) = %v, want %v", tc.native, tc.p, got, tc.want)
		}
	}
}

func TestPlatformImages(t *testing.T) {
	f := newFixture(t, tarLayer(t, "etc/hello", "hi"))
	img := f.staged("app")
	got, err := platformImages(img)
	if err != nil {
		t.Fatal(err)
	}
	if want := []PlatformImage{{Platform: "linux/amd64", Digest: f.image.Digest.String()}}; !cmp.Equal(got, want) {
		t.Errorf("platformImages = %v, want %v (the attestation left out)", got, want)
	}
	if _, err := hostImage(&dag.Step{Label: "app", Platforms: []string{"linux/riscv64", "linux/s390x"}},
		[]ocispecs.Descriptor{{Platform: &ocispecs.Platform{OS: "linux", Architecture: "riscv64"}}, {Platform: &ocispecs.Platform{OS: "linux", Architecture: "s390x"}}}); err == nil {
		t.Errorf("hostImage without this machine's platform = nil error, want one")
	}
}
