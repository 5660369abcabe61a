package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/jwtd/jwtd/plugins/sqlstore"
	"github.com/jwtd/jwtd/sdk"
)

// lastLoginLayout is how last_login (and every DateTimeField jwtd writes)
// is written: what Django's SQLite backend writes for an aware datetime
// under USE_TZ = True (naive UTC, microseconds), and what its
// parse_datetime reads back.
const lastLoginLayout = "2006-01-02 15:04:05.000000"

// UserStore is an sdk.UserStore and sdk.UserAdmin on a SQLite users table:
// its own jwtd_users table, or an existing one such as Django's auth_user
// (see UserStoreConfig). Users have integer ids. It is the SQL stores'
// user store (sqlstore.UserStore) on SQLite's dialect, with writes on a
// single writer connection and reads on a read-only pool beside it. It is
// safe for concurrent use; Close closes the database, after which calls
// return errors wrapping sdk.ErrUnavailable.
type UserStore struct {
	*sqlstore.UserStore
	ro *sql.DB // the read pool: lookups, Authenticate's read, Ping

	watch userWatch // feed.go
	feeds feedStop  // feed.go
}

// LookupUser is sqlstore's, noting the user for a running change feed
// (feed.go).
func (u *UserStore) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	round := u.watch.round()
	user, err := u.UserStore.LookupUser(ctx, field, value)
	if err == nil {
		u.watch.note(user, round)
	}
	return user, err
}

// Close ends the store's change feeds, then closes the database. Calling
// it again returns the first result.
func (u *UserStore) Close() error {
	u.feeds.stop()
	return u.UserStore.Close()
}

// NewUserStore opens the user store described by cfg (see UserStoreConfig).
// It is an sdk.Factory[sdk.UserStore]; the result is a *UserStore, which
// also implements sdk.UserAdmin, sdk.Pinger and io.Closer.
func NewUserStore(ctx context.Context, cfg sdk.Config) (sdk.UserStore, error) {
	return OpenUserStore(ctx, cfg)
}

// OpenUserStore is NewUserStore returning the concrete type.
func OpenUserStore(ctx context.Context, cfg sdk.Config) (*UserStore, error) {
	var c UserStoreConfig
	if err := cfg.Decode(&c); err != nil {
		return nil, fmt.Errorf("sqlite user store: %w", err)
	}
	schema, err := resolveUserConfig(c)
	if err != nil {
		return nil, err
	}
	busy, err := parseBusyTimeout(c.BusyTimeout)
	if err != nil {
		return nil, err
	}
	// NORMAL: in WAL mode a commit survives a crash of jwtd; only an OS crash
	// or power loss may drop the last commits, which for users means at worst
	// a last_login or a just-made change to redo. The blacklist uses FULL.
	db, err := openDB(ctx, c.Path, busy, "NORMAL")
	if err != nil {
		return nil, err
	}
	ro, err := openReader(ctx, c.Path, busy)
	if err != nil {
		db.Close()
		return nil, err
	}
	// The call's own deadline (the host's call_timeout) bounds each call;
	// busy_timeout bounds the wait for the write lock within it.
	s, err := sqlstore.NewUserStoreOn(ctx, dialect{}, db, ro, schema, 0)
	if err != nil {
		return nil, errors.Join(err, ro.Close(), db.Close())
	}
	return &UserStore{UserStore: s, ro: ro}, nil
}

// Interface guards.
var (
	_ sdk.UserStore              = (*UserStore)(nil)
	_ sdk.UserAdmin              = (*UserStore)(nil)
	_ sdk.Pinger                 = (*UserStore)(nil)
	_ io.Closer                  = (*UserStore)(nil)
	_ sdk.Factory[sdk.UserStore] = NewUserStore
)
