package pluginhost

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
)

// pinnedFD is the descriptor number a pinned binary has in the plugin
// process: exec.Cmd's first ExtraFiles entry.
const pinnedFD = 3

// pinChecked, when set (by tests), runs after a pinned binary's checksum
// matched and before the process is started: the window in which a binary
// swapped on disk must no longer matter.
var pinChecked func(path string)

// openPinned opens the binary at path once and checks that its content has
// the SHA-256 pin. The returned file is what runs: execPinned executes the
// open file, never the path again, so replacing or renaming the file after
// the check cannot slip another program in.
func openPinned(path string, pin []byte) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		f.Close()
		return nil, fmt.Errorf("%s is not an executable file", path)
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		f.Close()
		return nil, fmt.Errorf("checksum of %s: %w", path, err)
	}
	if got := sum.Sum(nil); subtle.ConstantTimeCompare(got, pin) != 1 {
		f.Close()
		return nil, fmt.Errorf("checksum of %s is %s, not the configured sha256 %s", path, hex.EncodeToString(got), hex.EncodeToString(pin))
	}
	if pinChecked != nil {
		pinChecked(path)
	}
	return f, nil
}

// execPinned makes cmd execute the already opened, checked binary f: the
// child gets f as descriptor pinnedFD (kept open across exec, so a script's
// interpreter can read it too) and executes /proc/self/fd/<pinnedFD>, which
// is that descriptor's file whatever the path names by then. argv[0] stays
// the configured path, so the plugin still knows its name.
func execPinned(cmd *exec.Cmd, f *os.File) {
	cmd.ExtraFiles = []*os.File{f}
	cmd.Path = "/proc/self/fd/" + strconv.Itoa(pinnedFD)
}
