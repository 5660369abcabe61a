package cli

import "golang.org/x/sys/unix"

// nonDumpable makes this process non-dumpable: no core dump, and its
// /proc/<pid> files (environ, mem, maps, fd) become root's, so another
// process of the same user — a plugin running as jwtd's user — can neither
// read jwtd's environment nor attach to it, and the signing key in jwtd's
// memory stays out of its reach. It does not protect files jwtd's user can
// read (the key file): running plugins as another user does.
func nonDumpable() error {
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
