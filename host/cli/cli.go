// Package cli is jwtd's command line (docs/cli.md): serve, check-config, user
// add/passwd/deactivate/revoke, session list/revoke, token issue/blacklist,
// flush-expired and key generate/rotate. Every
// command takes --config and has --help; it exits 0 on success and
// otherwise prints one clear line on stderr and exits non-zero.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Env is what a command runs with: its standard streams, so tests drive the
// CLI in process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	usage   string // arguments after the name
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "[--config FILE] [--listen ADDR]", "run the service (the default command)", runServe},
		{"check-config", "[--config FILE]", "load the config, start and ping every plugin, report", runCheckConfig},
		{"user add", "NAME [--inactive] [--config FILE]", "add a user; the password is read from stdin", runUserAdd},
		{"user passwd", "NAME [--config FILE]", "change a user's password (read from stdin)", runUserPasswd},
		{"user deactivate", "NAME [--config FILE]", "deactivate a user", runUserDeactivate},
		{"user revoke", "NAME [--config FILE]", "revoke every session of a user and refuse its older tokens (sessions)", runUserRevoke},
		{"session list", "[--user NAME] [--config FILE]", "list live sessions, of one user or all", runSessionList},
		{"session revoke", "ID [--config FILE]", "revoke one session (its refresh and sliding tokens; its access tokens with revoke_access_tokens)", runSessionRevoke},
		{"token issue", "--user ID [--sliding] [--config FILE]", "print a token pair (or a sliding token) for a user as JSON", runTokenIssue},
		{"token blacklist", "TOKEN|- [--config FILE]", "blacklist a refresh or sliding token (- reads it from stdin)", runTokenBlacklist},
		{"flush-expired", "[--config FILE]", "drop expired outstanding and blacklisted token rows", runFlushExpired},
		{"key generate", "[--algorithm ALG] [--kid KID] [--out FILE] [--state signing|verify] [--config FILE]", "write a new key file and print its [[tokens.keys]] table", runKeyGenerate},
		{"key rotate", "[--algorithm ALG] [--kid KID] [--out FILE] [--retire-after DURATION] [--write] [--config FILE]", "make a new key the signing key, the current one verify-only until its tokens expire", runKeyRotate},
		{"blacklist copy", "--to FILE [--config FILE]", "copy live blacklisted and outstanding tokens to the blacklist store of another config (SQLite to Redis)", runBlacklistCopy},
	}
}

// errUsage marks an error whose message is a usage problem (exit 2).
var errUsage = errors.New("usage")

// errHelp means --help was asked for and printed (exit 0).
var errHelp = flag.ErrHelp

// Main runs the command line args (without the program name) and returns
// the exit status.
func Main(ctx context.Context, args []string, env Env) int {
	cmd, rest, err := find(args)
	if err != nil {
		if errors.Is(err, errHelp) {
			usage(env.Stdout)
			return 0
		}
		fmt.Fprintf(env.Stderr, "jwtd: %v (see jwtd --help)\n", err)
		return 2
	}
	err = cmd.run(ctx, env, rest)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(env.Stderr, "jwtd %s: %v\n", cmd.name, err)
		return 2
	default:
		fmt.Fprintf(env.Stderr, "jwtd %s: %s\n", cmd.name, oneLine(err))
		return 1
	}
}

// find picks the command named by the first one or two words. --config,
// the one flag every command takes, may come before the command ("jwtd
// --config FILE user add NAME"); it is handed on to the command's own flags.
func find(args []string) (command, []string, error) {
	lead, args := leadingConfig(args)
	cmd, rest, err := findCommand(args)
	return cmd, append(lead, rest...), err
}

// leadingConfig splits --config FILE (or -config, or --config=FILE) off the
// front of args, however often it is given.
func leadingConfig(args []string) (lead, rest []string) {
	for len(args) > 0 {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		if !strings.HasPrefix(args[0], "-") || name != "config" {
			break
		}
		n := 2
		if hasValue {
			n = 1
		}
		n = min(n, len(args)) // a value-less --config: the command's flags say so
		lead, args = append(lead, args[:n]...), args[n:]
	}
	return lead, args
}

// findCommand picks the command named by the first one or two words.
func findCommand(args []string) (command, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" && args[0] != "-help" {
		return commands()[0], args, nil // serve is the default
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		return command{}, nil, errHelp
	}
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], nil
		}
	}
	return command{}, nil, fmt.Errorf("unknown command %q", strings.Join(args[:min(2, len(args))], " "))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "jwtd: JSON Web Token authentication service (Simple JWT's API)")
	fmt.Fprintln(w, "\nUsage: jwtd COMMAND [ARGS]  (each command has --help)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nThe config file is --config FILE, else $JWTD_CONFIG, else ./jwtd.toml.")
}

// oneLine keeps an error to a single line for stderr.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// flags is a command's flag set with the common --config flag.
type flags struct {
	*flag.FlagSet
	config *string
	cmd    command
}

func newFlags(env Env, name string) *flags {
	var cmd command
	for _, c := range commands() {
		if c.name == name {
			cmd = c
		}
	}
	fs := flag.NewFlagSet("jwtd "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	f := &flags{FlagSet: fs, cmd: cmd}
	f.config = fs.String("config", "", "config file (default $JWTD_CONFIG, else ./jwtd.toml)")
	fs.Usage = func() {
		fmt.Fprintf(env.Stdout, "Usage: jwtd %s %s\n\n%s.\n\nFlags:\n", cmd.name, cmd.usage, cmd.summary)
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(env.Stderr)
	}
	return f
}

// parse parses flags anywhere among the arguments ("user add NAME
// --inactive" as well as "user add --inactive NAME") and checks the number
// of positional arguments.
func (f *flags) parse(args []string, positional int) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != positional {
		return nil, fmt.Errorf("%w: want %d argument(s), got %d: jwtd %s %s", errUsage, positional, len(pos), f.cmd.name, f.cmd.usage)
	}
	return pos, nil
}

func (f *flags) configPath() string { return resolveConfig(*f.config) }

// Run is main's body: Main over the process's arguments and streams.
func Run() int {
	// Before anything reads the key: every command may hold it.
	if err := nonDumpable(); err != nil {
		fmt.Fprintf(os.Stderr, "jwtd: making the process non-dumpable: %v\n", err)
		return 1
	}
	return Main(context.Background(), os.Args[1:], Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
}
