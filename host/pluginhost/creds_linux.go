package pluginhost

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// canSwitchUsers reports why this process cannot start a plugin as another
// user, or nil. It must run as root (uid 0) holding CAP_SETUID and
// CAP_SETGID to start the plugin as that user, and CAP_KILL to stop it
// when it wedges. Root, because the kernel clears every capability of a process that goes
// from uid 0 to another uid, so the plugin ends up with none. A non-root
// jwtd given those capabilities (systemd's AmbientCapabilities) is refused
// instead, because its ambient capabilities would pass on to the plugin,
// which could then switch back to jwtd's user and read its memory.
//
// It must also reach the plugin's socket, which the plugin makes for its
// own group (mode 0660): without CAP_DAC_OVERRIDE, jwtd must be a member
// of the plugin's group gid.
func canSwitchUsers(gid uint32) error {
	if uid := os.Geteuid(); uid != 0 {
		return fmt.Errorf("jwtd runs as uid %d; running plugins as another user needs jwtd started as root (uid 0) with CAP_SETUID, CAP_SETGID and CAP_KILL", uid)
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
	}{{unix.CAP_SETUID, "CAP_SETUID"}, {unix.CAP_SETGID, "CAP_SETGID"}, {unix.CAP_KILL, "CAP_KILL"}} {
		if data[c.bit/32].Effective&(1<<(c.bit%32)) == 0 {
			missing = append(missing, c.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("jwtd runs as root without %s (systemd: CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_KILL)", strings.Join(missing, " and "))
	}
	if data[unix.CAP_DAC_OVERRIDE/32].Effective&(1<<(unix.CAP_DAC_OVERRIDE%32)) != 0 || inGroup(gid) {
		return nil
	}
	return fmt.Errorf("jwtd cannot reach the plugin's socket: it is not in the plugin's group %d and has no CAP_DAC_OVERRIDE (systemd: SupplementaryGroups= that group)", gid)
}

// inGroup reports whether this process has gid as its group or one of its
// supplementary groups.
func inGroup(gid uint32) bool {
	if uint32(os.Getegid()) == gid {
		return true
	}
	groups, _ := os.Getgroups()
	for _, g := range groups {
		if uint32(g) == gid {
			return true
		}
	}
	return false
}
