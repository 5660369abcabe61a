package core

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Key-strength floors refused at start.
const (
	minHMACKeyBytes = 32
	minRSABits      = 2048
)

// family groups algorithms by the key type they need.
type family int

const (
	famHMAC family = iota + 1
	famRSA
	famRSAPSS
	famEC
	famEd25519
)

// algorithm is one supported ALGORITHM value.
type algorithm struct {
	name      string
	method    jwt.SigningMethod
	family    family
	symmetric bool
	curve     elliptic.Curve // EC only: the curve the algorithm fixes
}

var algorithms = map[string]*algorithm{
	"HS256": {name: "HS256", method: jwt.SigningMethodHS256, family: famHMAC, symmetric: true},
	"HS384": {name: "HS384", method: jwt.SigningMethodHS384, family: famHMAC, symmetric: true},
	"HS512": {name: "HS512", method: jwt.SigningMethodHS512, family: famHMAC, symmetric: true},
	"RS256": {name: "RS256", method: jwt.SigningMethodRS256, family: famRSA},
	"RS384": {name: "RS384", method: jwt.SigningMethodRS384, family: famRSA},
	"RS512": {name: "RS512", method: jwt.SigningMethodRS512, family: famRSA},
	"PS256": {name: "PS256", method: jwt.SigningMethodPS256, family: famRSAPSS},
	"PS384": {name: "PS384", method: jwt.SigningMethodPS384, family: famRSAPSS},
	"PS512": {name: "PS512", method: jwt.SigningMethodPS512, family: famRSAPSS},
	"ES256": {name: "ES256", method: jwt.SigningMethodES256, family: famEC, curve: elliptic.P256()},
	"ES384": {name: "ES384", method: jwt.SigningMethodES384, family: famEC, curve: elliptic.P384()},
	"ES512": {name: "ES512", method: jwt.SigningMethodES512, family: famEC, curve: elliptic.P521()},
	"EdDSA": {name: "EdDSA", method: jwt.SigningMethodEdDSA, family: famEd25519},
}

// Algorithms lists the supported ALGORITHM values.
func Algorithms() []string {
	return []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
}

// ResolveKey turns a signing_key/verifying_key config value into key
// material: "file:PATH" reads PATH (relative to baseDir unless absolute) and
// drops one trailing newline, so a secret written with `echo` works;
// "env:NAME" reads environment variable NAME, which must be set and
// non-empty; anything else is the material itself. An empty spec is returned
// as it is (unset).
func ResolveKey(spec, baseDir string) ([]byte, error) {
	switch {
	case strings.HasPrefix(spec, "file:"):
		path := strings.TrimPrefix(spec, "file:")
		if path == "" {
			return nil, errors.New("file: needs a path")
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading key file: %w", err)
		}
		b = trimOneNewline(b)
		if len(b) == 0 {
			return nil, fmt.Errorf("key file %s is empty", path)
		}
		return b, nil
	case strings.HasPrefix(spec, "env:"):
		name := strings.TrimPrefix(spec, "env:")
		v, ok := os.LookupEnv(name)
		if name == "" || !ok {
			return nil, fmt.Errorf("environment variable %q is not set", name)
		}
		if v == "" {
			return nil, fmt.Errorf("environment variable %q is empty", name)
		}
		return []byte(v), nil
	default:
		return []byte(spec), nil
	}
}

func trimOneNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

func pemBlock(data []byte) (*pem.Block, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("is not PEM-encoded key material")
	}
	return block, nil
}

// parsePrivatePEM accepts PKCS#8, PKCS#1 (RSA) and SEC 1 (EC) private keys.
func parsePrivatePEM(data []byte) (any, error) {
	block, err := pemBlock(data)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("PEM block %q is not a private key (want PKCS#8, PKCS#1 or SEC 1)", block.Type)
}

// parsePublicPEM accepts PKIX and PKCS#1 public keys and X.509 certificates.
func parsePublicPEM(data []byte) (any, error) {
	block, err := pemBlock(data)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return k, nil
	}
	if c, err := x509.ParseCertificate(block.Bytes); err == nil {
		return c.PublicKey, nil
	}
	return nil, fmt.Errorf("PEM block %q is not a public key (want PKIX, PKCS#1 or a certificate)", block.Type)
}

// keyFits checks that k is of the type and strength alg needs.
func keyFits(alg *algorithm, k any) error {
	switch alg.family {
	case famRSA, famRSAPSS:
		var n *big.Int
		switch k := k.(type) {
		case *rsa.PrivateKey:
			n = k.N
		case *rsa.PublicKey:
			n = k.N
		default:
			return fmt.Errorf("is a %s, which does not fit %s (needs an RSA key)", keyKind(k), alg.name)
		}
		if n.BitLen() < minRSABits {
			return fmt.Errorf("RSA key is %d bits; at least %d required", n.BitLen(), minRSABits)
		}
	case famEC:
		var c elliptic.Curve
		switch k := k.(type) {
		case *ecdsa.PrivateKey:
			c = k.Curve
		case *ecdsa.PublicKey:
			c = k.Curve
		default:
			return fmt.Errorf("is a %s, which does not fit %s (needs an EC key)", keyKind(k), alg.name)
		}
		if c != alg.curve {
			return fmt.Errorf("EC key is on curve %s; %s needs %s", c.Params().Name, alg.name, alg.curve.Params().Name)
		}
	case famEd25519:
		switch k.(type) {
		case ed25519.PrivateKey, ed25519.PublicKey:
		default:
			return fmt.Errorf("is a %s, which does not fit %s (needs an Ed25519 key)", keyKind(k), alg.name)
		}
	}
	return nil
}

func keyKind(k any) string {
	switch k.(type) {
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "RSA key"
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return "EC key"
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "Ed25519 key"
	default:
		return fmt.Sprintf("%T", k)
	}
}

var b64 = base64.RawURLEncoding

// publicJWK renders pub as a JWK (RFC 7517) with its RFC 7638 thumbprint as
// kid.
func publicJWK(alg *algorithm, pub any) (map[string]any, string, error) {
	var jwk map[string]any
	var thumb string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		e := b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())
		n := b64.EncodeToString(k.N.Bytes())
		jwk = map[string]any{"kty": "RSA", "n": n, "e": e}
		thumb = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, e, n)
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		raw, err := k.Bytes() // 0x04 || X || Y, fixed width
		if err != nil {
			return nil, "", err
		}
		x := b64.EncodeToString(raw[1 : 1+size])
		y := b64.EncodeToString(raw[1+size:])
		crv := k.Curve.Params().Name
		jwk = map[string]any{"kty": "EC", "crv": crv, "x": x, "y": y}
		thumb = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, crv, x, y)
	case ed25519.PublicKey:
		x := b64.EncodeToString(k)
		jwk = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": x}
		thumb = fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":%q}`, x)
	default:
		return nil, "", fmt.Errorf("cannot render %T as a JWK", pub)
	}
	sum := sha256.Sum256([]byte(thumb))
	kid := b64.EncodeToString(sum[:])
	jwk["kid"] = kid
	jwk["alg"] = alg.name
	jwk["use"] = "sig"
	return jwk, kid, nil
}
