package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// generatedKeyBytes is the size of a generated HMAC key: 64 random bytes,
// enough for HS512, written as 128 hex characters.
const generatedKeyBytes = 64

// ensureSigningKey creates the HMAC signing key file on a first start: when
// the algorithm is HMAC (or unset, so HS256) and signing_key is
// "file:PATH" with a relative PATH that does not exist yet. Only a relative
// path qualifies, so a mistyped absolute path to a managed key is an error
// instead of a freshly invented key. It returns the path it created, or "".
func ensureSigningKey(t rawTokens, baseDir string) (string, error) {
	if t.SigningKey == nil || !strings.HasPrefix(*t.SigningKey, "file:") {
		return "", nil
	}
	if t.Algorithm != nil && !strings.HasPrefix(*t.Algorithm, "HS") {
		return "", nil
	}
	rel := strings.TrimPrefix(*t.SigningKey, "file:")
	if rel == "" || filepath.IsAbs(rel) {
		return "", nil
	}
	path := filepath.Join(baseDir, rel)
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	buf := make([]byte, generatedKeyBytes)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("tokens.signing_key: generating a key: %w", err)
	}
	// O_EXCL: two jwtd processes starting at once cannot overwrite each
	// other's key; the loser reads the winner's file.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("tokens.signing_key: generating %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(buf)); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("tokens.signing_key: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("tokens.signing_key: writing %s: %w", path, err)
	}
	return path, nil
}
