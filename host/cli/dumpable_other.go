//go:build !linux

package cli

// nonDumpable is Linux-only (prctl PR_SET_DUMPABLE); elsewhere it does
// nothing.
func nonDumpable() error { return nil }
