package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// FeedStat is one change feed's state at scrape time (host/feed.Stats,
// without importing it).
type FeedStat struct {
	// Store is the plugin kind whose feed it is ("blacklist_store").
	Store string
	// State is the feed state's name (down, syncing, live, lagging,
	// overflow) and Live whether memory answers now.
	State string
	Live  bool
	// LagSeconds is the age of the feed's last "synchronised" mark.
	LagSeconds float64
	// Views are the in-memory views' sizes, by view name
	// ("blacklist", "sessions", "users").
	Views map[string]int
	// FromMemory and FromStore count the blacklist questions answered from
	// the view and passed to the store (blacklist feeds only).
	FromMemory, FromStore int64
	// Sessions reports a session view (a feed that carries sessions);
	// SessionsFromMemory and SessionsFromStore then count the SessionState
	// questions likewise.
	Sessions                              bool
	SessionsFromMemory, SessionsFromStore int64
}

// feedStates are every state a FeedStat may name, so each feed exports one
// series per state (1 for the current one), as Prometheus' enum idiom.
var feedStates = []string{"down", "syncing", "live", "lagging", "overflow"}

var (
	feedStateDesc = prometheus.NewDesc("jwtd_feed_state",
		"Change feed state by store: 1 for the current state (down, syncing, live, lagging, overflow), else 0. Only live answers from memory.",
		[]string{"store", "state"}, nil)
	feedLagDesc = prometheus.NewDesc("jwtd_feed_lag_seconds",
		"Age of the change feed's last synchronised mark, by store: how stale memory could be.",
		[]string{"store"}, nil)
	answersDesc = prometheus.NewDesc("jwtd_feed_answers_total",
		"IsBlacklisted questions by who answered: memory (the feed's view) or store (a plugin call, while the feed is not live).",
		[]string{"store", "source"}, nil)
	sessionAnswersDesc = prometheus.NewDesc("jwtd_feed_session_answers_total",
		"SessionState questions (revoke_access_tokens) by who answered: memory (the feed's session view) or store (a plugin call, while the feed is not live).",
		[]string{"store", "source"}, nil)
	viewDesc = prometheus.NewDesc("jwtd_view_entries",
		"Entries held in memory by a view (blacklist: blacklisted jtis; users: cached users), by store and view.",
		[]string{"store", "view"}, nil)
)

// feeds is the collector of the running stack's feeds; a reload swaps the
// source.
type feeds struct {
	mu  sync.Mutex
	src func() []FeedStat
}

func (f *feeds) Describe(ch chan<- *prometheus.Desc) {
	ch <- feedStateDesc
	ch <- feedLagDesc
	ch <- answersDesc
	ch <- sessionAnswersDesc
	ch <- viewDesc
}

func (f *feeds) Collect(ch chan<- prometheus.Metric) {
	f.mu.Lock()
	src := f.src
	f.mu.Unlock()
	if src == nil {
		return
	}
	for _, s := range src() {
		for _, st := range feedStates {
			v := 0.0
			if st == s.State {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(feedStateDesc, prometheus.GaugeValue, v, s.Store, st)
		}
		ch <- prometheus.MustNewConstMetric(feedLagDesc, prometheus.GaugeValue, s.LagSeconds, s.Store)
		if _, ok := s.Views["blacklist"]; ok {
			ch <- prometheus.MustNewConstMetric(answersDesc, prometheus.CounterValue, float64(s.FromMemory), s.Store, "memory")
			ch <- prometheus.MustNewConstMetric(answersDesc, prometheus.CounterValue, float64(s.FromStore), s.Store, "store")
		}
		if s.Sessions {
			ch <- prometheus.MustNewConstMetric(sessionAnswersDesc, prometheus.CounterValue, float64(s.SessionsFromMemory), s.Store, "memory")
			ch <- prometheus.MustNewConstMetric(sessionAnswersDesc, prometheus.CounterValue, float64(s.SessionsFromStore), s.Store, "store")
		}
		for view, n := range s.Views {
			ch <- prometheus.MustNewConstMetric(viewDesc, prometheus.GaugeValue, float64(n), s.Store, view)
		}
	}
}

// SetFeeds makes src the source of the feed metrics (jwtd_feed_state,
// jwtd_feed_lag_seconds, jwtd_view_entries), read at every scrape; the
// latest call wins, so a reloaded stack replaces the old one's. A nil
// Metrics ignores it.
func (m *Metrics) SetFeeds(src func() []FeedStat) {
	if m == nil {
		return
	}
	m.feedsOnce.Do(func() { m.reg.MustRegister(&m.feeds) })
	m.feeds.mu.Lock()
	m.feeds.src = src
	m.feeds.mu.Unlock()
}
