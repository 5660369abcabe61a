package plugin

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/wire"
)

// Set is what a plugin binary offers: a factory per kind it serves, nil for
// the kinds it does not. The host calls a kind's factory through the
// Configure step with that kind's config table, once after every start of
// the process.
type Set struct {
	// UserStore builds the user store from [plugins.user_store.config].
	UserStore sdk.Factory[sdk.UserStore]
	// BlacklistStore builds the blacklist store from
	// [plugins.blacklist_store.config].
	BlacklistStore sdk.Factory[sdk.BlacklistStore]
	// AuthRule builds the authentication rule from [plugins.auth_rule.config].
	AuthRule sdk.Factory[sdk.AuthRule]
	// ClaimSerializer builds the claim serializer from
	// [plugins.claim_serializer.config].
	ClaimSerializer sdk.Factory[sdk.ClaimSerializer]
}

// parentPollInterval is how often a plugin checks that the host is still
// its parent. go-plugin leaves a plugin running when its host dies without
// killing it (SIGKILL, a crash); the plugin is then re-parented, which this
// notices, so no orphan outlives jwtd by more than this interval.
const parentPollInterval = 250 * time.Millisecond

// Serve runs the plugin until the host stops it or goes away, then closes
// the implementations that are io.Closers and exits the process. It does
// not return. Run by hand rather than by jwtd, it says so and exits 1.
//
// Stdout belongs to the handshake: nothing may print there before Serve
// (after it, stray stdout output is carried to the host's log). Logging
// goes to stderr as JSON lines that the host shows with their levels; the
// default slog logger and the standard log package write there already,
// so plugin code just calls slog.Info and friends.
func Serve(set Set) {
	os.Exit(serve(set, os.Stderr))
}

func serve(set Set, stderr io.Writer) int {
	level := hclog.LevelFromString(os.Getenv(wire.EnvLogLevel))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	slog.SetDefault(slog.New(newStderrHandler(stderr, level)))
	hl := hclog.New(&hclog.LoggerOptions{
		Name:       "jwtd-plugin",
		Level:      level,
		Output:     stderr,
		JSONFormat: true,
	})

	served := wire.Serve(set.UserStore, set.BlacklistStore, set.AuthRule, set.ClaimSerializer)
	if len(served.Kinds()) == 0 {
		fmt.Fprintln(stderr, "jwtd plugin: plugin.Serve was given an empty Set: nothing to serve")
		return 1
	}
	defer served.Close()

	if os.Getenv(wire.Handshake.MagicCookieKey) == wire.Handshake.MagicCookieValue {
		go watchParent(os.Getppid(), served)
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: served.Plugins,
		GRPCServer:       goplugin.DefaultGRPCServer,
		Logger:           hl,
	})
	// goplugin.Serve returns when the host shut the plugin down, and also
	// when it refused to start (run by hand); the latter it has explained
	// on stderr already.
	if os.Getenv(wire.Handshake.MagicCookieKey) != wire.Handshake.MagicCookieValue {
		return 1
	}
	return 0
}

// watchParent exits the process once it is no longer the child of the
// process that started it.
func watchParent(ppid int, served *wire.Served) {
	t := time.NewTicker(parentPollInterval)
	defer t.Stop()
	for range t.C {
		if os.Getppid() != ppid {
			slog.Warn("jwtd is gone; plugin exiting", "parent_pid", ppid)
			served.Close()
			os.Exit(0)
		}
	}
}

// newStderrHandler returns a slog handler writing hclog's JSON line shape
// (@level, @message, @timestamp), which go-plugin's host side parses to log
// each line at its level.
func newStderrHandler(w io.Writer, level hclog.Level) slog.Handler {
	var min slog.Level
	switch {
	case level <= hclog.Debug:
		min = slog.LevelDebug
	case level == hclog.Info:
		min = slog.LevelInfo
	case level == hclog.Warn:
		min = slog.LevelWarn
	default:
		min = slog.LevelError
	}
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: min,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format("2006-01-02T15:04:05.000000Z07:00"))
			case slog.LevelKey:
				l, _ := a.Value.Any().(slog.Level)
				name := "error"
				switch {
				case l < slog.LevelInfo:
					name = "debug"
				case l < slog.LevelWarn:
					name = "info"
				case l < slog.LevelError:
					name = "warn"
				}
				return slog.String("@level", name)
			case slog.MessageKey:
				return slog.String("@message", strings.TrimSpace(a.Value.String()))
			}
			return a
		},
	})
}

// Launched reports whether this process was started as a plugin (by jwtd,
// or by sdktest's real-binary kit), from the handshake variable the host
// sets. A test binary that doubles as its own plugin checks it in TestMain
// and calls Serve when it is true.
func Launched() bool {
	return os.Getenv(wire.Handshake.MagicCookieKey) == wire.Handshake.MagicCookieValue
}
