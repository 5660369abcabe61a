package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

func TestConformanceLoginFailureStore(t *testing.T) {
	path := dbPath(t)
	sdktest.TestLoginFailureStore(t, func(t *testing.T) sdk.LoginFailureStore {
		// One file, several store instances: how several jwtd processes
		// share the counters.
		return openBlacklist(t, path)
	})
}

// TestLoginFailuresShareFile checks that two stores on one file (two jwtd
// processes) count into one counter, and that expired counters are swept.
func TestLoginFailuresShareFile(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	a, b := openBlacklist(t, path), openBlacklist(t, path)
	for i, s := range []sdk.LoginFailureStore{a, b, a} {
		got, err := s.AddLoginFailure(ctx, "u:shared", time.Minute)
		if err != nil || got.Count != i+1 {
			t.Fatalf("AddLoginFailure #%d = %+v, %v; want %d", i+1, got, err, i+1)
		}
	}
	for i := range 300 {
		if _, err := a.AddLoginFailure(ctx, fmt.Sprintf("spray:%d", i), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM jwtd_login_failures`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n >= 300 {
		t.Fatalf("%d counter rows after 300 one-millisecond failures; want expired ones swept", n)
	}
}
