package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// blacklistExporter is the optional ability of a blacklist store to list its
// live entries (the SQLite store has it). `jwtd blacklist copy` needs it on
// the source side only; the destination is written through the ordinary
// sdk.BlacklistStore methods, so any store can receive.
type blacklistExporter interface {
	Export(ctx context.Context, now time.Time, fn func(rec sdk.TokenRecord, blacklisted bool) error) error
}

// runBlacklistCopy copies the live (unexpired) outstanding and blacklisted
// entries of the --config blacklist store into the blacklist store of the
// --to config: the move from SQLite to Redis. Both writes are idempotent
// (AddOutstanding keeps the first record, Blacklist adds only what is
// missing), so running it again, for example once more after every instance
// has switched, copies only what the first run missed.
func runBlacklistCopy(ctx context.Context, env Env, args []string) error {
	f := newFlags(env, "blacklist copy")
	to := f.String("to", "", "config file whose [plugins.blacklist_store] receives the entries (required)")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	if *to == "" {
		return fmt.Errorf("%w: --to FILE is required", errUsage)
	}
	fromPath, toPath := f.configPath(), *to
	if sameFile(fromPath, toPath) {
		return fmt.Errorf("%w: --to names the same config file as --config", errUsage)
	}

	src, err := open(ctx, env, fromPath)
	if err != nil {
		return err
	}
	defer src.Close()
	srcPlugin := src.Config.Plugins.BlacklistStore
	if src.Blacklist == nil || srcPlugin == nil {
		return fmt.Errorf("config %s has no [plugins.blacklist_store] to copy from", src.Config.Path)
	}
	exp, ok := sdk.As[blacklistExporter](src.Blacklist)
	if !ok {
		return fmt.Errorf("the blacklist store %q of %s cannot list its entries (copying from it is not supported; the built-in sqlite store can)", srcPlugin.Use, src.Config.Path)
	}

	dst, err := open(ctx, env, toPath)
	if err != nil {
		return err
	}
	defer dst.Close()
	dstPlugin := dst.Config.Plugins.BlacklistStore
	if dst.Blacklist == nil || dstPlugin == nil {
		return fmt.Errorf("config %s has no [plugins.blacklist_store] to copy to", dst.Config.Path)
	}

	var outstanding, blacklisted, already int
	err = exp.Export(ctx, time.Now(), func(rec sdk.TokenRecord, isBlacklisted bool) error {
		if !isBlacklisted {
			if err := dst.Blacklist.AddOutstanding(ctx, rec); err != nil {
				return fmt.Errorf("writing outstanding token %s: %w", rec.JTI, err)
			}
			outstanding++
			return nil
		}
		added, err := dst.Blacklist.Blacklist(ctx, rec)
		if err != nil {
			return fmt.Errorf("blacklisting token %s: %w", rec.JTI, err)
		}
		if added {
			blacklisted++
		} else {
			already++
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, sdk.ErrUnavailable) {
			return fmt.Errorf("copy stopped after %d outstanding and %d blacklisted token(s), safe to run again: %w", outstanding, blacklisted+already, err)
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "copied %d outstanding and %d blacklisted token(s) (%d already blacklisted there) from %s (%s) to %s (%s)\n",
		outstanding, blacklisted, already, srcPlugin.Use, src.Config.Path, dstPlugin.Use, dst.Config.Path)
	return nil
}

// sameFile reports whether two config paths name one file.
func sameFile(a, b string) bool {
	aa, errA := filepath.Abs(a)
	bb, errB := filepath.Abs(b)
	return errA == nil && errB == nil && aa == bb
}
