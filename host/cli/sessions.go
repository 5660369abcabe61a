package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/sdk"
)

// The session commands: `jwtd user revoke NAME`, `jwtd session list
// [--user NAME]`, `jwtd session revoke ID` (README "Sessions").

// withSessions runs fn on a stack whose core has sessions on, or says how
// to turn them on.
func withSessions(ctx context.Context, env Env, f *flags, fn func(*daemon.Stack) error) error {
	return withStack(ctx, env, f, func(st *daemon.Stack) error {
		if !st.Service.SessionsEnabled() {
			return errors.New("sessions are off: set [tokens] sessions = true")
		}
		return fn(st)
	})
}

// userIDByName is the token user id (USER_ID_FIELD) of the user named name.
func userIDByName(ctx context.Context, st *daemon.Stack, name string) (string, error) {
	u, err := st.Users.LookupUser(ctx, "username", name)
	if err != nil {
		return "", notFound(err, name)
	}
	return st.Service.UserIDOf(u)
}

func runUserRevoke(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "user revoke")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	return withSessions(ctx, env, f, func(st *daemon.Stack) error {
		id, err := userIDByName(ctx, st, pos[0])
		if err != nil {
			return err
		}
		n, err := st.Service.RevokeUser(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked %d session(s) of %q; its tokens issued before now are refused where revoke_access_tokens is on\n", n, pos[0])
		return nil
	})
}

func runSessionList(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "session list")
	name := f.String("user", "", "only this user's sessions (username)")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	return withSessions(ctx, env, f, func(st *daemon.Stack) error {
		id := ""
		if *name != "" {
			var err error
			if id, err = userIDByName(ctx, st, *name); err != nil {
				return err
			}
		}
		list, err := st.Service.Sessions(ctx, id)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSER\tCREATED\tLAST USED\tEXPIRES\tADDRESS\tUSER AGENT")
		for _, s := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%q\n", s.ID, s.UserID, stamp(s.CreatedAt), stamp(s.LastUsedAt), stamp(s.ExpiresAt), s.ClientAddr, s.UserAgent)
		}
		return tw.Flush()
	})
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func runSessionRevoke(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "session revoke")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	return withSessions(ctx, env, f, func(st *daemon.Stack) error {
		list, err := st.Service.Sessions(ctx, "")
		if err != nil {
			return err
		}
		var found *sdk.Session
		for i := range list {
			if list[i].ID == pos[0] {
				found = &list[i]
			}
		}
		if found == nil {
			return fmt.Errorf("no live session %q", pos[0])
		}
		if err := st.Service.EndSession(ctx, found.UserID, found.ID); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked session %s of user %s\n", found.ID, found.UserID)
		return nil
	})
}
