package pluginhost

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// pluginCredential resolves Spec.User and Spec.Group (names or numeric ids)
// into the credential the plugin process starts with, or nil when the
// plugin runs as jwtd's own user. The user's supplementary groups come
// along (so group-readable files stay readable); Group, when set, replaces
// the user's primary group. It refuses, before anything starts, when this
// process cannot switch users (see canSwitchUsers).
func pluginCredential(userName, groupName string) (*syscall.Credential, error) {
	if userName == "" {
		if groupName != "" {
			return nil, fmt.Errorf("group %q is set without user: set both", groupName)
		}
		return nil, nil
	}
	u, err := lookupUser(userName)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %q has a non-numeric uid %q", userName, u.Uid)
	}
	gidStr := u.Gid
	if groupName != "" {
		g, err := lookupGroup(groupName)
		if err != nil {
			return nil, err
		}
		gidStr = g.Gid
	}
	gid, err := strconv.ParseUint(gidStr, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("group of user %q has a non-numeric gid %q", userName, gidStr)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.ParseUint(s, 10, 32); err == nil && uint32(g) != cred.Gid {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	if int(cred.Uid) == os.Geteuid() && int(cred.Gid) == os.Getegid() && len(cred.Groups) == 0 {
		return nil, nil // already that user: nothing to switch
	}
	if err := canSwitchUsers(cred.Gid); err != nil {
		return nil, fmt.Errorf("cannot run the plugin as user %q: %w", userName, err)
	}
	return cred, nil
}

// lookupUser finds a user by name, or by uid when the name is numeric and
// unknown as a name.
func lookupUser(name string) (*user.User, error) {
	u, err := user.Lookup(name)
	if err == nil {
		return u, nil
	}
	if _, nerr := strconv.ParseUint(name, 10, 32); nerr == nil {
		if u, ierr := user.LookupId(name); ierr == nil {
			return u, nil
		}
	}
	return nil, fmt.Errorf("user %q: no such user", name)
}

// lookupGroup finds a group by name, or by gid when the name is numeric.
func lookupGroup(name string) (*user.Group, error) {
	g, err := user.LookupGroup(name)
	if err == nil {
		return g, nil
	}
	if _, nerr := strconv.ParseUint(name, 10, 32); nerr == nil {
		if g, ierr := user.LookupGroupId(name); ierr == nil {
			return g, nil
		}
	}
	return nil, fmt.Errorf("group %q: no such group", name)
}
