package daemon

import (
	"fmt"

	"github.com/jwtd/jwtd/host/batch"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/feed"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/host/metrics"
	"github.com/jwtd/jwtd/host/usercache"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/wire"
)

// namedFeed is a running change feed and the cache it keeps right.
type namedFeed struct {
	w     *feed.Watcher
	cache *usercache.Cache // the user store's; nil for the blacklist
}

// startFeed follows e's change feed when the store has one and p allows
// it; nil otherwise (every call then goes to the store).
func (b builder) startFeed(p *config.Plugin, e wire.Endpoint, client func(wire.Endpoint) sdk.ChangeFeed, cap int) *feed.Watcher {
	if b.oneShot || !p.ChangeFeed || !e.Has(wire.CapChangeFeed) {
		return nil
	}
	f := client(e)
	if f == nil {
		return nil
	}
	// Only a feed that says it carries sessions may answer SessionState
	// (sdk.SessionFeed): silence from any other feed means nothing.
	return feed.New(f, feed.Options{Name: p.Kind, MaxLag: p.FeedMaxLag, Cap: cap, Logger: b.logger, Sessions: e.Has(wire.CapSessionFeed)})
}

// userViews is the user store's wrapper: the lookup cache, on by default
// when the store has a change feed (its entries answer only while the feed
// is live, and the feed's changes drop them), else only with cache_ttl.
func (b builder) userViews(p *config.Plugin) func(wire.Endpoint) wire.Endpoint {
	return func(e wire.Endpoint) wire.Endpoint {
		e = batched(p, e)
		w := b.startFeed(p, e, func(e wire.Endpoint) sdk.ChangeFeed {
			f, _ := sdk.As[sdk.ChangeFeed](wire.UserStore(e))
			return f
		}, 0)
		ttl := p.CacheTTL
		if b.oneShot || (w == nil && ttl == 0) {
			return e
		}
		o := usercache.Options{TTL: ttl, Size: p.CacheSize}
		if w != nil {
			if o.TTL == 0 {
				// The feed keeps entries right; the TTL only bounds how
				// long an entry no lookup refreshes stays in memory.
				o.TTL = config.MaxCacheTTL
			}
			o.Live = w.Live
		}
		cache, err := usercache.New(o)
		if err != nil {
			// Options come from a checked config; this is a bug.
			panic(fmt.Sprintf("plugins.user_store cache: %v", err))
		}
		if w != nil {
			w.OnUser(cache.InvalidateID, cache.Clear)
			b.st.addFeed(w, cache)
		}
		return cache.Wrap(e)
	}
}

// blacklistView is the blacklist store's wrapper: the in-memory view of
// blacklisted jtis when the store has a change feed.
func (b builder) blacklistView(p *config.Plugin) func(wire.Endpoint) wire.Endpoint {
	return func(e wire.Endpoint) wire.Endpoint {
		if p == nil {
			return e
		}
		e = batched(p, e)
		w := b.startFeed(p, e, func(e wire.Endpoint) sdk.ChangeFeed {
			f, _ := sdk.As[sdk.ChangeFeed](wire.BlacklistStore(e))
			return f
		}, p.ViewSize)
		if w == nil {
			return e
		}
		b.st.addFeed(w, nil)
		return w.Wrap(e)
	}
}

// batched shares round trips of concurrent lookups to a plugin process
// that serves the batch methods (host/batch); in process there is no round
// trip to share.
func batched(p *config.Plugin, e wire.Endpoint) wire.Endpoint {
	if !p.External || !e.Has(wire.CapBatch) {
		return e
	}
	return batch.Wrap(e)
}

func (st *Stack) addFeed(w *feed.Watcher, cache *usercache.Cache) {
	w.Start()
	st.feeds = append(st.feeds, namedFeed{w, cache})
	st.closers = append(st.closers, w)
}

// Feeds returns the running change feeds' watchers, for tests and tools.
func (st *Stack) Feeds() []*feed.Watcher {
	out := make([]*feed.Watcher, len(st.feeds))
	for i, f := range st.feeds {
		out[i] = f.w
	}
	return out
}

// feedChecks reports each feed in /readyz detail: its state never makes
// jwtd unready (every call then goes to the store), but says whether
// memory answers.
func (st *Stack) feedChecks() []httpapi.Check {
	var out []httpapi.Check
	for _, f := range st.feeds {
		s := f.w.Stats()
		state := "feed " + s.State.String()
		if s.State != feed.Live {
			state += ": answering from store calls"
		}
		out = append(out, httpapi.Check{Name: s.Name + "_feed", State: state})
	}
	return out
}

// feedStats is the metrics source of the stack's feeds.
func (st *Stack) feedStats() []metrics.FeedStat {
	var out []metrics.FeedStat
	for _, f := range st.feeds {
		s := f.w.Stats()
		fs := metrics.FeedStat{Store: s.Name, State: s.State.String(), Live: s.State == feed.Live, LagSeconds: s.Lag.Seconds(),
			Views: map[string]int{}, FromMemory: s.FromMemory, FromStore: s.FromStore}
		if f.cache != nil {
			fs.Views["users"] = f.cache.Len()
		} else {
			fs.Views["blacklist"] = s.Entries
			if s.SessionView {
				fs.Views["sessions"] = s.Sessions
				fs.Sessions, fs.SessionsFromMemory, fs.SessionsFromStore = true, s.SessionsFromMemory, s.SessionsFromStore
			}
		}
		out = append(out, fs)
	}
	return out
}
