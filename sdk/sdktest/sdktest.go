// Package sdktest is the conformance kit for jwtd plugins: one test suite
// per plugin kind that every implementation must pass, whether it runs in
// process or out of process behind the host's transport.
//
// A plugin author calls it from an ordinary test:
//
//	func TestConformance(t *testing.T) {
//		sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore {
//			return mystore.New(t.TempDir())
//		})
//	}
//
// The suites only use the sdk interfaces, so they also check a plugin
// binary as jwtd runs it: TestBinary builds (or takes) the binary, launches
// it through the real handshake and runs every suite of the kinds it
// serves against the process.
//
//	func TestPluginBinary(t *testing.T) {
//		sdktest.TestBinary(t, sdktest.Binary{Package: "."}, sdktest.Suites{})
//	}
package sdktest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// uniqueID returns a random id, so suites can share a store (a Redis
// server, a database) between runs without colliding.
func uniqueID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// jsonEqual compares two JSON-compatible values by their JSON form, so
// that int64(3), 3.0 and json.Number("3") are equal, and a nil map equals
// an empty one.
func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	return bytes.Equal(canonical(t, a), canonical(t, b))
}

func canonical(t *testing.T, v any) []byte {
	t.Helper()
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		v = nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("value is not JSON-compatible: %v", err)
	}
	var back any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("re-decoding JSON: %v", err)
	}
	out, err := json.Marshal(back)
	if err != nil {
		t.Fatalf("re-encoding JSON: %v", err)
	}
	return out
}
