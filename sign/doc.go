// Package sign makes and checks cosign-compatible image signatures offline,
// with keys the user holds: cosign's encrypted private key files and plain
// PEM ECDSA P-256 or ed25519 keys to sign, PEM public keys to verify.
//
// A signature is a "simple signing" payload (the image's repository and
// manifest digest) signed with the key, stored as cosign stores it: a small
// OCI image whose one layer is the payload, with the base64 signature in the
// layer's dev.cosignproject.cosign/signature annotation. In a registry that
// image is tagged sha256-<hex>.sig in the image's repository; in an OCI
// layout it is a referrer of the image (its manifest's subject, OCI 1.1),
// listed in the layout's index.json. The package builds and parses those
// blobs; moving them is the caller's part. It also reads cosign 3's
// default form, a sigstore bundle referrer (bundle.go), to verify it.
package sign
