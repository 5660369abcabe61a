package pluginhost

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// canSwitchUsers reports why this process cannot start a plugin as another
// user, or nil. It must run as root (uid 0) holding CAP_SETUID and
// CAP_SETGID: the kernel clears every capability of a process that goes
// from uid 0 to another uid, so the plugin ends up with none. A non-root
// jwtd given those capabilities (systemd's AmbientCapabilities) is refused
// instead, because its ambient capabilities would pass on to the plugin,
// which could then switch back to jwtd's user and read its memory.
func canSwitchUsers() error {
	if uid := os.Geteuid(); uid != 0 {
		return fmt.Errorf("jwtd runs as uid %d; running plugins as another user needs jwtd started as root (uid 0) with CAP_SETUID and CAP_SETGID", uid)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("reading jwtd's capabilities: %w", err)
	}
	var missing []string
	for _, c := range []struct {
		bit  uint
		name string
	}{{unix.CAP_SETUID, "CAP_SETUID"}, {unix.CAP_SETGID, "CAP_SETGID"}} {
		if data[c.bit/32].Effective&(1<<(c.bit%32)) == 0 {
			missing = append(missing, c.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("jwtd runs as root without %s (systemd: CapabilityBoundingSet=CAP_SETUID CAP_SETGID)", strings.Join(missing, " and "))
	}
	return nil
}
