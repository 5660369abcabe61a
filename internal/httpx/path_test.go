package httpx

import "testing"

func TestTokenPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"":            "/api/token",
		"/api/token":  "/api/token",
		"api/token/":  "/api/token",
		"//auth//":    "/auth",
		"/":           "/",
		"/v1/jwt/tok": "/v1/jwt/tok",
	} {
		if got := TokenPrefix(in); got != want {
			t.Errorf("TokenPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRoutePath(t *testing.T) {
	for in, want := range map[string]string{
		"/":            "/",
		"/api/token/":  "/api/token",
		"/api/token":   "/api/token",
		"/api/token//": "/api/token/",
		"":             "",
	} {
		if got := RoutePath(in); got != want {
			t.Errorf("RoutePath(%q) = %q, want %q", in, got, want)
		}
	}
}
