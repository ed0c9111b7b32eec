package sbom

// The subset of SPDX 2.3's JSON schema that weld writes
// (https://spdx.github.io/spdx-spec/v2.3/): a dozen plain structs, rather
// than a dependency on an SPDX library for what encoding/json does.

// Version is the SPDX version of every document weld writes.
const Version = "SPDX-2.3"

// PredicateType is the in-toto predicate type of an SPDX document, as
// BuildKit and buildx name it.
const PredicateType = "https://spdx.dev/Document"

// NoAssertion is SPDX's value for a field weld makes no claim about.
const NoAssertion = "NOASSERTION"

// Document is an SPDX 2.3 document.
type Document struct {
	SPDXVersion       string         `json:"spdxVersion"`
	DataLicense       string         `json:"dataLicense"`
	SPDXID            string         `json:"SPDXID"`
	Name              string         `json:"name"`
	DocumentNamespace string         `json:"documentNamespace"`
	CreationInfo      CreationInfo   `json:"creationInfo"`
	Packages          []Package      `json:"packages"`
	Files             []File         `json:"files,omitempty"`
	Relationships     []Relationship `json:"relationships"`
}

// CreationInfo says who made the document, and when.
type CreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

// Package is an SPDX package: the image, a layer, a Go module, an Alpine
// or Debian package.
type Package struct {
	SPDXID           string        `json:"SPDXID"`
	Name             string        `json:"name"`
	VersionInfo      string        `json:"versionInfo,omitempty"`
	Supplier         string        `json:"supplier,omitempty"`
	DownloadLocation string        `json:"downloadLocation"`
	FilesAnalyzed    bool          `json:"filesAnalyzed"`
	Checksums        []Checksum    `json:"checksums,omitempty"`
	SourceInfo       string        `json:"sourceInfo,omitempty"`
	PrimaryPurpose   string        `json:"primaryPackagePurpose,omitempty"`
	ExternalRefs     []ExternalRef `json:"externalRefs,omitempty"`
}

// File is an SPDX file: one regular file of one layer.
type File struct {
	SPDXID    string     `json:"SPDXID"`
	FileName  string     `json:"fileName"`
	Checksums []Checksum `json:"checksums"`
}

// Checksum is a digest of a file or package.
type Checksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

// ExternalRef names a package in another system: weld writes purls.
type ExternalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

// Relationship links two elements of the document.
type Relationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// Kinds of package, the purl type of each.
const (
	KindGo     = "golang"
	KindAlpine = "apk"
	KindDebian = "deb"
)

// Purl is the package URL of p (its first purl reference), or "".
func (p Package) Purl() string {
	for _, r := range p.ExternalRefs {
		if r.Type == "purl" {
			return r.Locator
		}
	}
	return ""
}
