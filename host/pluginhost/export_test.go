package pluginhost

// SetPinChecked installs f to run between a pinned binary's checksum check
// and the start of its process, and returns a function restoring the
// previous hook. Set it before starting the Host, restore after Close.
func SetPinChecked(f func(path string)) (restore func()) {
	old := pinChecked
	pinChecked = f
	return func() { pinChecked = old }
}
