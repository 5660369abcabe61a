package redis

// The Redis blacklist's change feed (sdk.ChangeFeed).
//
// Every new blacklist key is published on the channel <prefix>feed by the
// same Lua script that writes it (blacklistScript), so a write and its
// announcement are one atomic step: no jwtd can see the key without the
// message having been published, whichever instance wrote it. A feed:
//
//  1. subscribes to the channel (classic pub/sub, which Redis Cluster
//     forwards to every node);
//  2. sends ChangeReset and the snapshot: every <prefix>bl:* key (SCAN, on
//     every master of a Cluster) with its remaining TTL. Messages published
//     meanwhile wait on the subscription and follow, so nothing falls
//     between the snapshot and the stream (a duplicate is harmless);
//  3. relays each message, and every SyncInterval sends PING on the
//     subscription's own connection: Redis answers it after every message
//     published before the PING arrived, so on its PONG every change
//     committed before the PING was sent has been relayed, and the feed
//     sends ChangeSynced for that instant.
//
// Sessions (sdk.SessionFeed): the session scripts publish on the same
// channel in the same step as they write — "s|<end ms>|<session id>|<user>"
// for each session they revoke, "n|<not-before ms>|<user>" for a user's
// not-before — and the snapshot adds every revoked session hash not yet
// expired and every not-before key, so the host can answer SessionState
// from memory.
//
// A dropped connection is not hidden: go-redis would resubscribe silently
// and lose what was published meanwhile, so the feed ends with
// sdk.ErrUnavailable instead and the host watches again from ChangeReset
// (falling back to calls until then).

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtd/jwtd/sdk"
)

// feedChannel is the pub/sub channel of the blacklist's changes.
func (b *BlacklistStore) feedChannel() string {
	return b.prefix + "feed"
}

// Watch implements sdk.ChangeFeed.
func (b *BlacklistStore) Watch(ctx context.Context, send func(sdk.Change) error) error {
	ps := b.client.Subscribe(ctx, b.feedChannel())
	defer ps.Close()
	// The subscription is confirmed before the snapshot starts, so every
	// later write is either in the snapshot or on the subscription.
	if _, err := ps.ReceiveTimeout(ctx, 5*time.Second); err != nil {
		return feedErr(ctx, "subscribe", err)
	}
	if err := send(sdk.Change{Kind: sdk.ChangeReset}); err != nil {
		return err
	}
	if err := b.feedSnapshot(ctx, send); err != nil {
		return err
	}
	var (
		pending  = map[string]time.Time{} // ping payload → when sent
		lastPing time.Time
	)
	ping := func() error {
		now := time.Now()
		payload := "sync|" + strconv.FormatInt(now.UnixNano(), 10)
		if err := ps.Ping(ctx, payload); err != nil {
			return feedErr(ctx, "ping", err)
		}
		pending[payload], lastPing = now, now
		if len(pending) > 100 {
			return fmt.Errorf("%w: redis change feed: no PONG for %d pings", sdk.ErrUnavailable, len(pending))
		}
		return nil
	}
	if err := ping(); err != nil {
		return err
	}
	for {
		wait := sdk.SyncInterval - time.Since(lastPing)
		if wait <= 0 {
			if err := ping(); err != nil {
				return err
			}
			continue
		}
		msg, err := ps.ReceiveTimeout(ctx, wait)
		if err != nil {
			var nerr interface{ Timeout() bool }
			if errors.As(err, &nerr) && nerr.Timeout() && ctx.Err() == nil {
				continue
			}
			return feedErr(ctx, "receive", err)
		}
		switch m := msg.(type) {
		case *goredis.Message:
			c, ok := b.parseChange(m.Payload)
			if !ok {
				return fmt.Errorf("%w: redis change feed: unreadable message %q", sdk.ErrUnavailable, m.Payload)
			}
			if err := send(c); err != nil {
				return err
			}
		case *goredis.Pong:
			if at, ok := pending[m.Payload]; ok {
				delete(pending, m.Payload)
				// Pings are answered in order: older ones are void.
				for p, t := range pending {
					if t.Before(at) {
						delete(pending, p)
					}
				}
				if err := send(sdk.Change{Kind: sdk.ChangeSynced, At: at}); err != nil {
					return err
				}
			}
		case *goredis.Subscription:
			// A resubscription after a reconnect: messages may have been
			// lost in between.
			return fmt.Errorf("%w: redis change feed: subscription renewed (%s)", sdk.ErrUnavailable, m.Kind)
		}
	}
}

// SessionsInFeed implements sdk.SessionFeed: every script that revokes a
// session or moves a not-before publishes it.
func (b *BlacklistStore) SessionsInFeed() bool { return true }

// parseChange reads one published message: "b|<expiry ms>|<key>", or a
// session one (see the package comment above).
func (b *BlacklistStore) parseChange(p string) (sdk.Change, bool) {
	kind, rest, ok := strings.Cut(p, "|")
	if !ok {
		return sdk.Change{}, false
	}
	switch kind {
	case "s":
		ms, rest, ok1 := strings.Cut(rest, "|")
		id, user, ok2 := strings.Cut(rest, "|")
		exp, err := strconv.ParseInt(ms, 10, 64)
		if !ok1 || !ok2 || err != nil {
			return sdk.Change{}, false
		}
		return sdk.Change{Kind: sdk.ChangeSessionRevoked, UserID: user, SessionID: id, ExpiresAt: time.UnixMilli(exp)}, true
	case "n":
		ms, user, ok := strings.Cut(rest, "|")
		nb, err := strconv.ParseInt(ms, 10, 64)
		if !ok || err != nil {
			return sdk.Change{}, false
		}
		return sdk.Change{Kind: sdk.ChangeUserNotBefore, UserID: user, NotBefore: time.UnixMilli(nb)}, true
	case "b":
	default:
		return sdk.Change{}, false
	}
	ms, key, ok := strings.Cut(rest, "|")
	exp, err := strconv.ParseInt(ms, 10, 64)
	jti, isKey := strings.CutPrefix(key, b.blacklistKey(""))
	if !ok || err != nil || !isKey {
		return sdk.Change{}, false
	}
	return sdk.Change{Kind: sdk.ChangeBlacklisted, JTI: jti, ExpiresAt: time.UnixMilli(exp)}, true
}

// feedSnapshot sends every blacklist key with its expiry.
func (b *BlacklistStore) feedSnapshot(ctx context.Context, send func(sdk.Change) error) error {
	scan := func(ctx context.Context, c *goredis.Client) error {
		iter := c.Scan(ctx, 0, b.blacklistKey("")+"*", 1000).Iterator()
		var keys []string
		flush := func() error {
			if len(keys) == 0 {
				return nil
			}
			cmds := make([]*goredis.DurationCmd, len(keys))
			now := time.Now()
			if _, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
				for i, k := range keys {
					cmds[i] = p.PTTL(ctx, k)
				}
				return nil
			}); err != nil && !errors.Is(err, goredis.Nil) {
				return err
			}
			for i, k := range keys {
				ttl := cmds[i].Val()
				if ttl <= 0 {
					// Gone meanwhile (-2), or without expiry (-1: never
					// written by jwtd; keep it for a day, the host drops it
					// then and asks again after a resync).
					if ttl != -1 {
						continue
					}
					ttl = 24 * time.Hour
				}
				jti := strings.TrimPrefix(k, b.blacklistKey(""))
				if err := send(sdk.Change{Kind: sdk.ChangeBlacklisted, JTI: jti, ExpiresAt: now.Add(ttl)}); err != nil {
					return err
				}
			}
			keys = keys[:0]
			return nil
		}
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
			if len(keys) == 1000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	}
	scanAll := func(ctx context.Context, c *goredis.Client) error {
		if err := scan(ctx, c); err != nil {
			return err
		}
		return b.sessionSnapshot(ctx, c, send)
	}
	var err error
	switch c := b.client.(type) {
	case *goredis.ClusterClient:
		err = c.ForEachMaster(ctx, scanAll)
	case *goredis.Client:
		err = scanAll(ctx, c)
	default:
		// A failover (Sentinel) client is a *goredis.Client too; anything
		// else cannot be scanned here.
		return fmt.Errorf("%w: redis change feed: cannot scan through %T", sdk.ErrUnavailable, b.client)
	}
	if err != nil {
		return feedErr(ctx, "snapshot", err)
	}
	return nil
}

// sessionSnapshot sends, from one server, every revoked session not yet
// expired and every user's not-before.
func (b *BlacklistStore) sessionSnapshot(ctx context.Context, c *goredis.Client, send func(sdk.Change) error) error {
	tag := b.prefix + "{u:"
	iter := c.Scan(ctx, 0, escapeGlob(b.prefix)+"{u:*}:s:*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		v, err := c.HMGet(ctx, k, "user", "revoked", "expires").Result()
		if err != nil {
			return err
		}
		user, _ := v[0].(string)
		revoked, _ := v[1].(string)
		expires, _ := v[2].(string)
		exp := time.UnixMilli(ms(expires))
		_, id, found := strings.Cut(strings.TrimPrefix(k, tag), "}:s:")
		if !found || revoked != "1" || !time.Now().Before(exp) {
			continue
		}
		if err := send(sdk.Change{Kind: sdk.ChangeSessionRevoked, UserID: user, SessionID: id, ExpiresAt: exp}); err != nil {
			return err
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	iter = c.Scan(ctx, 0, escapeGlob(b.prefix)+"{u:*}:nbf", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		v, err := c.Get(ctx, k).Result()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			return err
		}
		user := strings.TrimSuffix(strings.TrimPrefix(k, tag), "}:nbf")
		if err := send(sdk.Change{Kind: sdk.ChangeUserNotBefore, UserID: user, NotBefore: time.UnixMilli(ms(v))}); err != nil {
			return err
		}
	}
	return iter.Err()
}

func feedErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return unavailable("change feed "+op, err)
}

var (
	_ sdk.ChangeFeed  = (*BlacklistStore)(nil)
	_ sdk.SessionFeed = (*BlacklistStore)(nil)
)
