package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/sdk"
)

func resolveConfig(flagValue string) string { return config.Resolve(flagValue) }

// open loads the config and starts its plugins and core, for the commands
// that work on the configured stores.
func open(ctx context.Context, env Env, path string) (*daemon.Stack, error) {
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg, err := config.Load(path, config.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	return daemon.Build(ctx, cfg, daemon.BuildOptions{Logger: logger, OneShot: true})
}

func runServe(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "serve")
	listen := f.String("listen", "", "listen address, overriding [server].listen (env JWTD_LISTEN)")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	if *listen == "" {
		*listen = os.Getenv("JWTD_LISTEN")
	}
	return daemon.Serve(ctx, daemon.ServeOptions{ConfigPath: f.configPath(), Listen: *listen, LogOutput: env.Stderr})
}

func runCheckConfig(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "check-config")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	st, err := open(ctx, env, f.configPath())
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(env.Stdout, "config %s: ok\n", st.Config.Path)
	fmt.Fprintf(env.Stdout, "tokens: %s, access %s, refresh %s\n", st.Service.Settings().Algorithm, st.Config.Tokens.AccessTokenLifetime, st.Config.Tokens.RefreshTokenLifetime)
	p := st.Config.Plugins
	for _, pl := range []*config.Plugin{p.UserStore, p.BlacklistStore, p.AuthRule, p.ClaimSerializer} {
		if pl != nil {
			fmt.Fprintf(env.Stdout, "plugin %s: %s\n", pl.Kind, pl.Use)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var failed []string
	for _, c := range st.Ready(pctx) {
		state := "ok"
		if c.Err != nil {
			state = "unavailable: " + c.Err.Error()
			failed = append(failed, c.Name)
		}
		fmt.Fprintf(env.Stdout, "ping %s: %s\n", c.Name, state)
	}
	if len(failed) > 0 {
		return fmt.Errorf("plugins not answering: %s", strings.Join(failed, ", "))
	}
	return nil
}

// withStack opens the configured stack for fn and closes it when fn is
// done, for the commands that work on the configured stores.
func withStack(ctx context.Context, env Env, f *flags, fn func(*daemon.Stack) error) error {
	st, err := open(ctx, env, f.configPath())
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// withAdmin runs fn on the user store's UserAdmin side, or says the store
// has none.
func withAdmin(ctx context.Context, env Env, f *flags, fn func(sdk.UserAdmin) error) error {
	return withStack(ctx, env, f, func(st *daemon.Stack) error {
		a, ok := sdk.As[sdk.UserAdmin](st.Users)
		if !ok {
			return fmt.Errorf("the user store %q cannot manage users", st.Config.Plugins.UserStore.Use)
		}
		return fn(a)
	})
}

func runUserAdd(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "user add")
	inactive := f.Bool("inactive", false, "create the user inactive")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	return withAdmin(ctx, env, f, func(a sdk.UserAdmin) error {
		pw, err := readPassword(env, "Password for "+pos[0]+": ")
		if err != nil {
			return err
		}
		u, err := a.CreateUser(ctx, sdk.NewUser{Username: pos[0], Password: pw, IsActive: !*inactive})
		if errors.Is(err, sdk.ErrUserExists) {
			return fmt.Errorf("user %q already exists", pos[0])
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "added user %q with id %s\n", u.Username, u.ID)
		return nil
	})
}

func runUserPasswd(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "user passwd")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	return withAdmin(ctx, env, f, func(a sdk.UserAdmin) error {
		pw, err := readPassword(env, "New password for "+pos[0]+": ")
		if err != nil {
			return err
		}
		if err := a.SetPassword(ctx, pos[0], pw); err != nil {
			return notFound(err, pos[0])
		}
		fmt.Fprintf(env.Stdout, "changed the password of %q\n", pos[0])
		return nil
	})
}

func runUserDeactivate(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "user deactivate")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	return withAdmin(ctx, env, f, func(a sdk.UserAdmin) error {
		if err := a.SetActive(ctx, pos[0], false); err != nil {
			return notFound(err, pos[0])
		}
		fmt.Fprintf(env.Stdout, "deactivated %q\n", pos[0])
		return nil
	})
}

func notFound(err error, name string) error {
	if errors.Is(err, sdk.ErrUserNotFound) {
		return fmt.Errorf("no user %q", name)
	}
	return err
}

func runTokenIssue(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "token issue")
	id := f.String("user", "", "the user's id (USER_ID_FIELD value)")
	sliding := f.Bool("sliding", false, "issue a sliding token instead of a pair")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	if *id == "" {
		return fmt.Errorf("%w: --user ID is required", errUsage)
	}
	st, err := open(ctx, env, f.configPath())
	if err != nil {
		return err
	}
	defer st.Close()
	field := st.Service.Settings().UserIDField
	u, err := st.Users.LookupUser(ctx, field, *id)
	if errors.Is(err, sdk.ErrUserNotFound) {
		return fmt.Errorf("no user with %s %q", field, *id)
	}
	if err != nil {
		return err
	}
	var is core.Issued
	if *sliding {
		is, err = st.Service.IssueSlidingFor(ctx, u)
	} else {
		is, err = st.Service.IssueFor(ctx, u)
	}
	if errors.Is(err, core.ErrNoActiveAccount) {
		// The core answers as obtain does, about "credentials"; the operator
		// named the user and needs to know what is wrong with them.
		if !u.IsActive && st.Service.Settings().CheckUserIsActive {
			return fmt.Errorf("user with %s %q is inactive: no token issued (activate the user, or set check_user_is_active = false)", field, *id)
		}
		return fmt.Errorf("the authentication rule refuses the user with %s %q: no token issued", field, *id)
	}
	if err != nil {
		return err
	}
	out := map[string]string{}
	for k, v := range map[string]string{"access": is.Access, "refresh": is.Refresh, "token": is.Token} {
		if v != "" {
			out[k] = v
		}
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func runTokenBlacklist(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "token blacklist")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	tok := pos[0]
	if tok == "-" {
		// Reading from stdin keeps the token out of the process list.
		if tok, err = firstLine(env.Stdin); err != nil {
			return err
		}
	}
	return withStack(ctx, env, f, func(st *daemon.Stack) error {
		if err := st.Service.BlacklistAny(ctx, tok); err != nil {
			var ce *core.Error
			if errors.As(err, &ce) && ce.Detail != "" {
				return errors.New(ce.Detail)
			}
			return err
		}
		fmt.Fprintln(env.Stdout, "blacklisted")
		return nil
	})
}

func runFlushExpired(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "flush-expired")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	return withStack(ctx, env, f, func(st *daemon.Stack) error {
		n, err := st.Service.FlushExpired(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "flushed %d expired token row(s)\n", n)
		return nil
	})
}

// readPassword reads a password: with a prompt and without echo (asked
// twice) on a terminal, else the first line of stdin.
func readPassword(env Env, prompt string) (string, error) {
	if file, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		fmt.Fprint(env.Stderr, prompt)
		pw, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(env.Stderr, "Again: ")
		again, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", err
		}
		if string(pw) != string(again) {
			return "", errors.New("the passwords do not match")
		}
		return checkPassword(string(pw))
	}
	line, err := firstLine(env.Stdin)
	if err != nil {
		return "", err
	}
	return checkPassword(line)
}

func checkPassword(pw string) (string, error) {
	if pw == "" {
		return "", errors.New("empty password")
	}
	if len(pw) > 4096 {
		return "", errors.New("password longer than 4096 bytes")
	}
	return pw, nil
}

// firstLine reads one line from r, without its line ending.
func firstLine(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("nothing on stdin")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("nothing on stdin")
	}
	return line, nil
}
