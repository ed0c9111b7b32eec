package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// ErrPassword marks an encrypted private key that the password given does
// not open, or that needs a password and got none.
var ErrPassword = errors.New("wrong or missing password for the encrypted key")

// Signer signs images with one private key.
type Signer struct {
	sv  signature.SignerVerifier
	pub crypto.PublicKey
}

// ParsePrivateKey reads a PEM private key: cosign's encrypted key file
// (ENCRYPTED SIGSTORE PRIVATE KEY or ENCRYPTED COSIGN PRIVATE KEY, opened
// with password), or a plain PKCS#8 or SEC 1 key. Only ECDSA P-256 and
// ed25519 keys are taken, the kinds cosign makes and verifies.
func ParsePrivateKey(pemBytes, password []byte) (*Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block in the key file")
	}
	if block.Type == "PUBLIC KEY" {
		return nil, errors.New("the file holds a public key: give the private key (cosign.key, not cosign.pub)")
	}
	encrypted := block.Type == string(cryptoutils.EncryptedSigstorePrivateKeyPEMType) ||
		block.Type == "ENCRYPTED COSIGN PRIVATE KEY"
	if encrypted && len(password) == 0 {
		return nil, fmt.Errorf("%w: the key is encrypted (set $COSIGN_PASSWORD or give a password file)", ErrPassword)
	}
	pf := func(bool) ([]byte, error) { return password, nil }
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, pf)
	if err != nil {
		if encrypted {
			return nil, fmt.Errorf("%w: %v", ErrPassword, err)
		}
		return nil, fmt.Errorf("parsing the private key: %w", err)
	}
	if err := supported(priv); err != nil {
		return nil, err
	}
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading the private key: %w", err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, err
	}
	return &Signer{sv: sv, pub: pub}, nil
}

// supported refuses keys other than ECDSA P-256 and ed25519.
func supported(key any) error {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return curveP256(k.Curve)
	case *ecdsa.PublicKey:
		return curveP256(k.Curve)
	case ed25519.PrivateKey, ed25519.PublicKey:
		return nil
	}
	return fmt.Errorf("unsupported key type %T: use an ECDSA P-256 or ed25519 key (cosign generate-key-pair makes one)", key)
}

func curveP256(c elliptic.Curve) error {
	if c != elliptic.P256() {
		return fmt.Errorf("unsupported ECDSA curve %s: use P-256", c.Params().Name)
	}
	return nil
}

// PublicKeyPEM is the signer's public key, PEM encoded as cosign writes
// cosign.pub.
func (s *Signer) PublicKeyPEM() ([]byte, error) {
	return cryptoutils.MarshalPublicKeyToPEM(s.pub)
}

// Verifier is the signer's own public key as a Verifier named name: it
// verifies what the signer signed.
func (s *Signer) Verifier(name string) (*Verifier, error) {
	v, err := signature.LoadVerifier(s.pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%s: loading the public key: %w", name, err)
	}
	return &Verifier{Name: name, v: v, pub: s.pub}, nil
}

// Verifier checks signatures against one public key.
type Verifier struct {
	// Name says which key this is in messages: its file, or its ID.
	Name string
	v    signature.Verifier
	pub  crypto.PublicKey
}

// ParsePublicKey reads a PEM public key (PUBLIC KEY, as cosign writes
// cosign.pub); name says which key it is in messages.
func ParsePublicKey(name string, pemBytes []byte) (*Verifier, error) {
	if !bytes.Contains(pemBytes, []byte("-----BEGIN")) {
		return nil, fmt.Errorf("%s: no PEM block in the public key file", name)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: parsing the public key: %w", name, err)
	}
	if err := supported(pub); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%s: loading the public key: %w", name, err)
	}
	return &Verifier{Name: name, v: v, pub: pub}, nil
}

// ID is a short fingerprint of the public key: the first 16 hex digits of
// the SHA-256 of its DER form.
func (v *Verifier) ID() string {
	der, err := cryptoutils.MarshalPublicKeyToDER(v.pub)
	if err != nil {
		return "?"
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}
