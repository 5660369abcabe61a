package config

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/jwtd/jwtd/core"
)

// GeneratedKey is fresh key material for the ring.
type GeneratedKey struct {
	Algorithm string
	// Private is the HMAC secret (hex text) or the private key as PKCS#8
	// PEM.
	Private []byte
	// Public is the public key as PKIX PEM; nil for HMAC.
	Public []byte
}

// GenerateKey makes a key for alg: 64 random bytes for HMAC (as the first
// start's key), RSA 3072 bits, the algorithm's curve for ES*, Ed25519.
func GenerateKey(alg string) (GeneratedKey, error) {
	var priv crypto.Signer
	var err error
	switch {
	case alg == "HS256" || alg == "HS384" || alg == "HS512":
		buf := make([]byte, generatedKeyBytes)
		if _, err := rand.Read(buf); err != nil {
			return GeneratedKey{}, err
		}
		return GeneratedKey{Algorithm: alg, Private: []byte(hex.EncodeToString(buf))}, nil
	case alg == "RS256" || alg == "RS384" || alg == "RS512" || alg == "PS256" || alg == "PS384" || alg == "PS512":
		priv, err = rsa.GenerateKey(rand.Reader, 3072)
	case alg == "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case alg == "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case alg == "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case alg == "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return GeneratedKey{}, fmt.Errorf("unknown algorithm %q (supported: %s)", alg, strings.Join(core.Algorithms(), ", "))
	}
	if err != nil {
		return GeneratedKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return GeneratedKey{}, err
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return GeneratedKey{}, err
	}
	return GeneratedKey{
		Algorithm: alg,
		Private:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		Public:    pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
	}, nil
}

// NewKeyID is a readable, unique-enough kid for a key made at now:
// "2026-12-06-3fa1c2".
func NewKeyID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("2006-01-02") + "-" + hex.EncodeToString(b[:])
}

// WriteKeyFiles writes k's private part to path (mode 0600) and, for an
// asymmetric key, its public part to path+".pub" (0644); an existing file
// is never overwritten. It returns the ring entry naming the files as
// file: specs, relative to configDir when they are inside it.
func WriteKeyFiles(k GeneratedKey, kid, path, configDir string) (RingEntry, error) {
	e := RingEntry{Kid: kid, Algorithm: k.Algorithm, State: core.KeySigning}
	if err := writeNew(path, k.Private, 0o600); err != nil {
		return e, err
	}
	e.SigningKey = fileSpec(path, configDir)
	if k.Public != nil {
		if err := writeNew(path+".pub", k.Public, 0o644); err != nil {
			os.Remove(path)
			return e, err
		}
		e.VerifyingKey = fileSpec(path+".pub", configDir)
	}
	return e, nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists; not overwriting a key", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

func fileSpec(path, configDir string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "file:" + path
	}
	if dir, err := filepath.Abs(configDir); err == nil {
		if rel, err := filepath.Rel(dir, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return "file:" + filepath.ToSlash(rel)
		}
	}
	return "file:" + abs
}

// RingEntry is one [[tokens.keys]] table as written in jwtd.toml: key
// specs (inline, file: or env:) as the file holds them, not resolved.
type RingEntry struct {
	Kid          string
	Algorithm    string
	State        core.KeyState
	SigningKey   string
	VerifyingKey string
	RetireAfter  time.Time
}

// TOML renders the entry as a [[tokens.keys]] table.
func (e RingEntry) TOML() string {
	var b strings.Builder
	b.WriteString("[[tokens.keys]]\n")
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s = %s\n", k, tomlString(v))
		}
	}
	line("kid", e.Kid)
	line("algorithm", e.Algorithm)
	line("state", string(e.State))
	line("signing_key", e.SigningKey)
	line("verifying_key", e.VerifyingKey)
	if !e.RetireAfter.IsZero() {
		fmt.Fprintf(&b, "retire_after = %s\n", e.RetireAfter.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// RingTOML renders a ring.
func RingTOML(ring []RingEntry) string {
	parts := make([]string, len(ring))
	for i, e := range ring {
		parts[i] = e.TOML()
	}
	return strings.Join(parts, "\n")
}

// tomlString quotes s as TOML does.
func tomlString(s string) string {
	var b bytes.Buffer
	_ = toml.NewEncoder(&b).Encode(map[string]string{"v": s})
	return strings.TrimSpace(strings.TrimPrefix(b.String(), "v = "))
}

// Rotation is a planned key rotation of one config file.
type Rotation struct {
	// Ring is the ring after the rotation: the new signing key first, the
	// previous signing key verify-only until RetireAfter, other keys still
	// in use as they were. Keys retired before now are dropped.
	Ring []RingEntry
	// Text is the config file with the ring replaced: [tokens]'
	// signing_key and verifying_key and every [[tokens.keys]] table
	// removed, the new ring appended; comments and everything else kept.
	Text []byte
}

// TokenLifetime is the longest any token of s lives (exp after iat, plus
// leeway): how long the previous signing key must keep verifying after a
// rotation so that nobody is logged out.
func TokenLifetime(s core.Settings) time.Duration {
	d := max(s.AccessTokenLifetime, s.RefreshTokenLifetime, s.SlidingTokenLifetime, s.SlidingTokenRefreshLifetime)
	for _, c := range s.CustomTokenTypes {
		d = max(d, c)
	}
	return d + s.Leeway
}

// PlanRotation plans making next the signing key of the config file at
// path, the current signing key verify-only until retireAfter. The
// resulting text is loaded and checked before it is returned, so a plan
// that would not start is an error.
func PlanRotation(path string, next RingEntry, retireAfter, now time.Time) (*Rotation, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Tokens rawTokens `toml:"tokens"`
	}
	if _, err := toml.Decode(string(text), &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	t := raw.Tokens
	if t.JWKURL != nil && *t.JWKURL != "" {
		return nil, invalid("tokens.jwk_url", "keys come from the JWK URL; rotate them where they are issued")
	}
	defAlg := "HS256"
	if t.Algorithm != nil && *t.Algorithm != "" {
		defAlg = *t.Algorithm
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	var prev []RingEntry
	if len(t.Keys) == 0 {
		prev = []RingEntry{{Algorithm: defAlg, State: core.KeySigning, SigningKey: str(t.SigningKey), VerifyingKey: str(t.VerifyingKey)}}
	}
	for i, k := range t.Keys {
		e := RingEntry{Kid: str(k.Kid), Algorithm: str(k.Algorithm), State: core.KeyState(str(k.State)), SigningKey: str(k.SigningKey), VerifyingKey: str(k.VerifyingKey)}
		if e.Algorithm == "" {
			e.Algorithm = defAlg
		}
		switch v := k.RetireAfter.(type) {
		case time.Time:
			e.RetireAfter = v
		case string:
			if e.RetireAfter, err = time.Parse(time.RFC3339, v); err != nil {
				return nil, invalid(fmt.Sprintf("tokens.keys[%d].retire_after", i), "%q is not an RFC 3339 date-time", v)
			}
		}
		prev = append(prev, e)
	}
	ring := []RingEntry{next}
	for _, e := range prev {
		if e.Kid != "" && e.Kid == next.Kid {
			return nil, fmt.Errorf("kid %q is already in the ring", next.Kid)
		}
		switch {
		case e.State == core.KeyRetired, !e.RetireAfter.IsZero() && !now.Before(e.RetireAfter):
			continue // verifies nothing any more
		case e.State == core.KeySigning:
			e.State = core.KeyVerify
			e.RetireAfter = retireAfter
			if !strings.HasPrefix(e.Algorithm, "HS") {
				e.SigningKey = "" // verifying needs the public half only
			}
		}
		ring = append(ring, e)
	}
	out, err := rewriteRing(text, ring)
	if err != nil {
		return nil, err
	}
	cfg, err := Parse(out, filepath.Dir(path), Options{NoKeyGeneration: true})
	if err != nil {
		return nil, fmt.Errorf("the rotated config would not load: %w", err)
	}
	if err := cfg.Tokens.Validate(); err != nil {
		return nil, fmt.Errorf("the rotated config would not load: %w", err)
	}
	return &Rotation{Ring: ring, Text: out}, nil
}

var (
	tableHeader = regexp.MustCompile(`^\s*\[(\[)?\s*([A-Za-z0-9_.\- "]+?)\s*\]\]?\s*(#.*)?$`)
	keyLine     = regexp.MustCompile(`^\s*(signing_key|verifying_key)\s*=\s*(.*)$`)
)

// rewriteRing drops [tokens]' signing_key/verifying_key lines and every
// [[tokens.keys]] table from text, and appends ring.
func rewriteRing(text []byte, ring []RingEntry) ([]byte, error) {
	var out []string
	table, skipping := "", false
	for _, line := range strings.Split(strings.TrimRight(string(text), "\n"), "\n") {
		if m := tableHeader.FindStringSubmatch(line); m != nil {
			table = strings.ReplaceAll(m[2], " ", "")
			skipping = m[1] == "[" && table == "tokens.keys"
		}
		if skipping {
			continue
		}
		if m := keyLine.FindStringSubmatch(line); m != nil && table == "tokens" {
			if v := strings.TrimSpace(m[2]); strings.HasPrefix(v, `"""`) || strings.HasPrefix(v, "'''") {
				return nil, invalid("tokens."+m[1], "is a multi-line string; move the key to a file (file:PATH) or rotate by hand")
			}
			out = append(out, "# "+m[1]+": moved into the key ring at the end of this file (jwtd key rotate)")
			continue
		}
		out = append(out, line)
	}
	for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
		out = out[:len(out)-1]
	}
	return []byte(strings.Join(out, "\n") + "\n\n" + RingTOML(ring)), nil
}
