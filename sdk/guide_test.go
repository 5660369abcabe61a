package sdk_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// guideFiles extracts the Go files of the plugin author's guide: every
// ```go block of README.md whose first line is a "// <file>.go" comment.
func guideFiles(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	var name string
	var body strings.Builder
	in := false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && line == "```go":
			in, name = true, ""
			body.Reset()
		case in && line == "```":
			in = false
			if name != "" {
				files[name] = body.String()
			}
		case in:
			if name == "" && body.Len() == 0 && strings.HasPrefix(line, "// ") && strings.HasSuffix(line, ".go") {
				name = strings.TrimPrefix(line, "// ")
			}
			body.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return files
}

// TestGuide builds the guide's plugin in a fresh module outside the
// repository, depending on this SDK through a replace (as the guide says),
// and runs its test: the out-of-process conformance suite against the
// built binary. What the guide shows is what is tested.
func TestGuide(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a plugin module; skipped with -short")
	}
	files := guideFiles(t)
	for _, want := range []string{"main.go", "plugin_test.go"} {
		if files[want] == "" {
			t.Fatalf("README.md has no ```go block starting with // %s (found %d files)", want, len(files))
		}
	}
	sdkDir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The guide's own commands: go mod init, then the replace form of
	// depending on the SDK (the SDK is not fetched from a proxy here).
	// go.sum starts from the SDK's, so nothing needs the network.
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("%s\n%s", strings.Join(args, " "), out)
	}
	run("go", "mod", "init", "example.com/jsonusers")
	run("go", "mod", "edit", "-require=github.com/jwtd/jwtd/sdk@v0.0.0", "-replace=github.com/jwtd/jwtd/sdk="+sdkDir)
	run("go", "mod", "tidy")
	run("go", "vet", "./...")
	run("go", "test", "-count=1", "-v", "./...")
}
