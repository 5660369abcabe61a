package wire

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// watchFeed runs f.Watch until the test ends; its changes arrive on the first
// channel, its end on the second.
func watchFeed(t *testing.T, f sdk.ChangeFeed) (<-chan sdk.Change, <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	ch, done := make(chan sdk.Change, 1024), make(chan error, 1)
	go func() { done <- f.Watch(ctx, func(c sdk.Change) error { ch <- c; return nil }) }()
	t.Cleanup(cancel)
	return ch, done
}

func next(t *testing.T, ch <-chan sdk.Change, kind sdk.ChangeKind) sdk.Change {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case c := <-ch:
			if c.Kind == kind {
				return c
			}
		case <-timeout:
			t.Fatalf("no %v change within 5s", kind)
		}
	}
}

// feedStore is the memory blacklist with a feed that sends its state and
// then whatever the test pushes.
type feedStore struct {
	*memory.BlacklistStore
	push chan sdk.Change
}

func (f *feedStore) Watch(ctx context.Context, send func(sdk.Change) error) error {
	if err := send(sdk.Change{Kind: sdk.ChangeReset}); err != nil {
		return err
	}
	if err := send(sdk.Change{Kind: sdk.ChangeBlacklisted, JTI: "old", ExpiresAt: time.Unix(2000000000, 0)}); err != nil {
		return err
	}
	tick := time.NewTicker(sdk.SyncInterval / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c, ok := <-f.push:
			if !ok {
				return errors.New("store closed")
			}
			if err := send(c); err != nil {
				return err
			}
		case now := <-tick.C:
			if err := send(sdk.Change{Kind: sdk.ChangeSynced, At: now}); err != nil {
				return err
			}
		}
	}
}

// TestWatchCrossesAsAStream: a store's feed reaches the host over the
// Watch server stream with every field, in order; in process the host gets
// the store's own feed; a store without one offers none; a feed that ends
// reaches the host as sdk.ErrUnavailable.
func TestWatchCrossesAsAStream(t *testing.T) {
	fs := &feedStore{BlacklistStore: memory.NewBlacklistStore(), push: make(chan sdk.Change, 4)}
	conn := pair(t, Set{BlacklistStore: func(context.Context, sdk.Config) (sdk.BlacklistStore, error) { return fs, nil }})
	caps, err := Configure(context.Background(), KindBlacklistStore, conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := sdk.As[sdk.ChangeFeed](BlacklistStore(NewEndpoint(KindBlacklistStore, conn, caps)))
	if !ok {
		t.Fatalf("no sdk.ChangeFeed over the wire (capabilities %v)", caps)
	}
	ch, done := watchFeed(t, f)
	if c := <-ch; c.Kind != sdk.ChangeReset {
		t.Fatalf("first change %+v, want reset", c)
	}
	if c := <-ch; c.Kind != sdk.ChangeBlacklisted || c.JTI != "old" || !c.ExpiresAt.Equal(time.Unix(2000000000, 0)) {
		t.Fatalf("second change %+v", c)
	}
	next(t, ch, sdk.ChangeSynced)
	want := sdk.Change{Kind: sdk.ChangeUserNotBefore, UserID: "7", NotBefore: time.Unix(1800000000, 5), ExpiresAt: time.Unix(1900000000, 0)}
	fs.push <- want
	c := next(t, ch, sdk.ChangeUserNotBefore)
	if c.UserID != want.UserID || !c.NotBefore.Equal(want.NotBefore) || !c.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("change %+v, want %+v", c, want)
	}
	close(fs.push)
	select {
	case err := <-done:
		if !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("a feed that ended in the plugin: %v, want sdk.ErrUnavailable", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the host's Watch did not end with the plugin's")
	}

	// In process: the store's own feed, no stream.
	e, err := Local(KindBlacklistStore, fs)
	if err != nil {
		t.Fatal(err)
	}
	if lf, ok := sdk.As[sdk.ChangeFeed](BlacklistStore(e)); !ok || lf != sdk.ChangeFeed(fs) {
		t.Fatalf("in process: %T, %v; want the store itself", lf, ok)
	}
	// Without a feed: none offered.
	e, err = Local(KindBlacklistStore, memory.NewBlacklistStore())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sdk.As[sdk.ChangeFeed](BlacklistStore(e)); ok {
		t.Fatal("a store without a feed offers one")
	}
}
