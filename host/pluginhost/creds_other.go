//go:build !linux

package pluginhost

import "errors"

// canSwitchUsers: running plugins as another user is implemented for Linux
// only.
func canSwitchUsers(uint32) error {
	return errors.New("running plugins as another user is supported on Linux only")
}
