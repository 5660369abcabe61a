// Package postgres holds jwtd's PostgreSQL user store and blacklist store:
// package sqlstore's stores on jackc/pgx/v5, built in (use = "postgres")
// and as the plugin binary jwtd-plugin-postgres. The config keys are in
// README.md beside this file.
package postgres

import (
	"context"

	"github.com/jwtd/jwtd/plugins/sqlstore"
	"github.com/jwtd/jwtd/sdk"
)

// NewUserStore opens the PostgreSQL user store cfg describes
// (sqlstore.UserStoreConfig). It is an sdk.Factory[sdk.UserStore]; the
// result is a *sqlstore.UserStore with a change feed (sdk.ChangeFeed by
// LISTEN/NOTIFY, feed.go), which also implements sdk.UserAdmin, sdk.Pinger
// and io.Closer.
func NewUserStore(ctx context.Context, cfg sdk.Config) (sdk.UserStore, error) {
	s, err := sqlstore.OpenUserStore(ctx, Dialect{}, cfg)
	if err != nil {
		return nil, err
	}
	db, schema := s.FeedSource()
	return userStoreWithFeed{s, db, userFeedSchema(Dialect{}, schema)}, nil
}

// NewBlacklistStore opens the PostgreSQL blacklist store cfg describes
// (sqlstore.BlacklistConfig). It is an sdk.Factory[sdk.BlacklistStore].
// On jwtd's own tables it has a change feed (LISTEN/NOTIFY, feed.go).
func NewBlacklistStore(ctx context.Context, cfg sdk.Config) (sdk.BlacklistStore, error) {
	s, err := sqlstore.OpenBlacklistStore(ctx, Dialect{}, cfg)
	if err != nil {
		return nil, err
	}
	if db, native := s.FeedSource(); native {
		return blacklistWithFeed{s, db}, nil
	}
	return s, nil
}

// Interface guards.
var (
	_ sdk.Factory[sdk.UserStore]      = NewUserStore
	_ sdk.Factory[sdk.BlacklistStore] = NewBlacklistStore
)
