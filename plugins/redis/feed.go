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

// parseChange reads one published message: "b|<expiry ms>|<key>".
func (b *BlacklistStore) parseChange(p string) (sdk.Change, bool) {
	kind, rest, ok := strings.Cut(p, "|")
	if !ok || kind != "b" {
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
	var err error
	switch c := b.client.(type) {
	case *goredis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *goredis.Client:
		err = scan(ctx, c)
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

func feedErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return unavailable("change feed "+op, err)
}

var _ sdk.ChangeFeed = (*BlacklistStore)(nil)
