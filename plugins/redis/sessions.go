package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtd/jwtd/sdk"
)

// Sessions (sdk.SessionStore). Every key of a user's sessions carries the
// user's hash tag, like the outstanding set, so each operation is one Lua
// script on one Cluster slot, atomic against every other jwtd instance:
//
//   - P {u:<user id>}:s:<session id> — a hash: user, created, used,
//     expires (Unix ms), addr, agent, revoked ("0"/"1"), current (the jti
//     that may rotate next). Expires with the session.
//   - P {u:<user id>}:r:<session id> — a hash of consumed jtis: parent →
//     "<child>|<rotated at, Unix ms>". Expires with the session.
//   - P {u:<user id>}:sessions — a sorted set of the user's session ids
//     scored by their expiry, for listing and revoke-all.
//   - P {u:<user id>}:nbf — the user's "not before" (Unix ms), kept.

// createSessionScript records a session (KEYS[1]) and indexes it in the
// user's set (KEYS[2]), pruning expired members; ARGV: id, user, created,
// used, expires, addr, agent, first, now.
var createSessionScript = goredis.NewScript(`
redis.call('HSET', KEYS[1], 'user', ARGV[2], 'created', ARGV[3], 'used', ARGV[4], 'expires', ARGV[5],
  'addr', ARGV[6], 'agent', ARGV[7], 'revoked', '0', 'current', ARGV[8])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[9])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIREAT', KEYS[2], last[2])
end
return 1
`)

// rotateSessionScript: KEYS[1] the session, KEYS[2] its consumed set;
// ARGV: user, parent, child, now. Returns {1} rotated, {2, at, child,
// childUsed} reused, {3} refused. A retry of a rotation whose reply was
// lost finds its own child recorded and answers rotated again.
var rotateSessionScript = goredis.NewScript(`
local s = redis.call('HMGET', KEYS[1], 'user', 'revoked', 'expires', 'current')
if s[1] == false or s[1] ~= ARGV[1] or s[2] == '1' or tonumber(s[3]) <= tonumber(ARGV[4]) then
  return {3}
end
local r = redis.call('HGET', KEYS[2], ARGV[2])
if r then
  local sep = string.find(r, '|', 1, true)
  local child = string.sub(r, 1, sep - 1)
  if child == ARGV[3] then
    return {1}
  end
  return {2, string.sub(r, sep + 1), child, redis.call('HEXISTS', KEYS[2], child)}
end
if s[4] ~= ARGV[2] then
  return {3}
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3] .. '|' .. ARGV[4])
redis.call('PEXPIREAT', KEYS[2], s[3])
redis.call('HSET', KEYS[1], 'current', ARGV[3], 'used', ARGV[4])
return {1}
`)

// revokeSessionScript revokes KEYS[1] when it is ARGV[1]'s and live,
// recording the call's nonce (ARGV[2]): a go-redis retry after a lost
// reply recognises its own revocation and still answers 1, so of
// concurrent revocations exactly one reports it (as blacklistScript). It
// publishes the revocation on the feed channel ARGV[3] (session id ARGV[4])
// in the same step.
var revokeSessionScript = goredis.NewScript(`
local s = redis.call('HMGET', KEYS[1], 'user', 'revoked', 'revoked_by', 'expires')
if s[1] == false or s[1] ~= ARGV[1] then
  return 0
end
if s[2] == '1' then
  if s[3] == ARGV[2] then
    return 1
  end
  return 0
end
redis.call('HSET', KEYS[1], 'revoked', '1', 'revoked_by', ARGV[2])
redis.call('PUBLISH', ARGV[3], 's|' .. s[4] .. '|' .. ARGV[4] .. '|' .. ARGV[1])
return 1
`)

// revokeUserSessionsScript revokes every session in the user's set
// (KEYS[1]; their keys are ARGV[1] .. id, in the same slot) and moves the
// not-before (KEYS[2]) forward to ARGV[2], publishing each revocation and
// the not-before on the feed channel ARGV[3] (user ARGV[4]) in the same
// step.
var revokeUserSessionsScript = goredis.NewScript(`
local n = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local k = ARGV[1] .. id
  local s = redis.call('HMGET', k, 'revoked', 'expires')
  if s[1] == '0' then
    redis.call('HSET', k, 'revoked', '1')
    redis.call('PUBLISH', ARGV[3], 's|' .. s[2] .. '|' .. id .. '|' .. ARGV[4])
    n = n + 1
  end
end
local nb = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) > nb then
  redis.call('SET', KEYS[2], ARGV[2])
  nb = tonumber(ARGV[2])
end
redis.call('PUBLISH', ARGV[3], 'n|' .. string.format('%d', nb) .. '|' .. ARGV[4])
return n
`)

// sessionStateScript: {live, notBefore} of session KEYS[1] (absent when
// ARGV[3] is "0") for user ARGV[1] at ARGV[2], and not-before KEYS[2].
var sessionStateScript = goredis.NewScript(`
local live = 0
if ARGV[3] == '1' then
  local s = redis.call('HMGET', KEYS[1], 'user', 'revoked', 'expires')
  if s[1] == ARGV[1] and s[2] == '0' and tonumber(s[3]) > tonumber(ARGV[2]) then
    live = 1
  end
end
return {live, tonumber(redis.call('GET', KEYS[2]) or '0')}
`)

func (b *BlacklistStore) userTag(userID string) string { return b.prefix + "{u:" + userID + "}" }

func (b *BlacklistStore) sessionKey(userID, id string) string {
	return b.userTag(userID) + ":s:" + id
}

func (b *BlacklistStore) rotationsKey(userID, id string) string {
	return b.userTag(userID) + ":r:" + id
}

func (b *BlacklistStore) sessionsKey(userID string) string { return b.userTag(userID) + ":sessions" }

func (b *BlacklistStore) notBeforeKey(userID string) string { return b.userTag(userID) + ":nbf" }

// errBadSessionID refuses ids the host never sends: a brace would move the
// key out of the user's hash tag.
var errBadSessionID = errors.New("redis blacklist store: session id is empty or contains a brace")

func checkSessionID(id string) error {
	if id == "" || strings.ContainsAny(id, "{}") {
		return errBadSessionID
	}
	return nil
}

// CreateSession records v with first current.
func (b *BlacklistStore) CreateSession(ctx context.Context, v sdk.Session, first string) error {
	if err := checkSessionID(v.ID); err != nil {
		return err
	}
	err := createSessionScript.Run(ctx, b.client,
		[]string{b.sessionKey(v.UserID, v.ID), b.sessionsKey(v.UserID)},
		v.ID, v.UserID, v.CreatedAt.UnixMilli(), v.LastUsedAt.UnixMilli(), v.ExpiresAt.UnixMilli(),
		v.ClientAddr, v.UserAgent, first, b.now().UnixMilli()).Err()
	if err != nil {
		return unavailable("create session", err)
	}
	return nil
}

// RotateSession consumes parent and records child in one script.
func (b *BlacklistStore) RotateSession(ctx context.Context, userID, id, parent, child string, now time.Time) (sdk.Rotation, error) {
	if checkSessionID(id) != nil {
		return sdk.Rotation{Outcome: sdk.Refused}, nil
	}
	res, err := rotateSessionScript.Run(ctx, b.client,
		[]string{b.sessionKey(userID, id), b.rotationsKey(userID, id)},
		userID, parent, child, now.UnixMilli()).Slice()
	if err != nil {
		return sdk.Rotation{}, unavailable("rotate session", err)
	}
	code, _ := res[0].(int64)
	switch code {
	case 1:
		return sdk.Rotation{Outcome: sdk.Rotated}, nil
	case 2:
		if len(res) == 4 {
			atStr, _ := res[1].(string)
			at, perr := strconv.ParseInt(atStr, 10, 64)
			childID, _ := res[2].(string)
			used, _ := res[3].(int64)
			if perr == nil {
				return sdk.Rotation{Outcome: sdk.Reused, ConsumedAt: time.UnixMilli(at), Child: childID, ChildConsumed: used == 1}, nil
			}
		}
	case 3:
		return sdk.Rotation{Outcome: sdk.Refused}, nil
	}
	return sdk.Rotation{}, unavailable("rotate session", fmt.Errorf("unexpected script reply %v", res))
}

// RevokeSession revokes one live session of userID.
func (b *BlacklistStore) RevokeSession(ctx context.Context, userID, id string) (bool, error) {
	if checkSessionID(id) != nil {
		return false, nil
	}
	nonce, err := newNonce()
	if err != nil {
		return false, unavailable("revoke session", err)
	}
	n, err := revokeSessionScript.Run(ctx, b.client, []string{b.sessionKey(userID, id)}, userID, nonce, b.feedChannel(), id).Int()
	if err != nil {
		return false, unavailable("revoke session", err)
	}
	return n == 1, nil
}

// RevokeUserSessions revokes all of userID's sessions and moves its
// not-before, in one script.
func (b *BlacklistStore) RevokeUserSessions(ctx context.Context, userID string, notBefore time.Time) (int, error) {
	n, err := revokeUserSessionsScript.Run(ctx, b.client,
		[]string{b.sessionsKey(userID), b.notBeforeKey(userID)},
		b.userTag(userID)+":s:", notBefore.UnixMilli(), b.feedChannel(), userID).Int()
	if err != nil {
		return 0, unavailable("revoke user sessions", err)
	}
	return n, nil
}

// SessionState reads the session and the not-before in one script.
func (b *BlacklistStore) SessionState(ctx context.Context, userID, id string, now time.Time) (sdk.SessionState, error) {
	ask := "1"
	if id == "" || checkSessionID(id) != nil {
		ask = "0"
	}
	res, err := sessionStateScript.Run(ctx, b.client,
		[]string{b.sessionKey(userID, id), b.notBeforeKey(userID)},
		userID, now.UnixMilli(), ask).Int64Slice()
	if err != nil || len(res) != 2 {
		return sdk.SessionState{}, unavailable("session state", fmt.Errorf("%v (reply %v)", err, res))
	}
	st := sdk.SessionState{Revoked: id != "" && res[0] != 1}
	if res[1] > 0 {
		st.NotBefore = time.UnixMilli(res[1])
	}
	return st, nil
}

// Sessions lists userID's live sessions ("" for every user's: a SCAN of
// every master for the users' session sets, for the operator's CLI).
func (b *BlacklistStore) Sessions(ctx context.Context, userID string, now time.Time) ([]sdk.Session, error) {
	users := []string{userID}
	if userID == "" {
		var err error
		if users, err = b.sessionUsers(ctx); err != nil {
			return nil, unavailable("list sessions", err)
		}
	}
	var out []sdk.Session
	for _, u := range users {
		list, err := b.userSessions(ctx, u, now)
		if err != nil {
			return nil, unavailable("list sessions", err)
		}
		out = append(out, list...)
	}
	slices.SortFunc(out, func(a, c sdk.Session) int {
		if d := a.CreatedAt.Compare(c.CreatedAt); d != 0 {
			return d
		}
		return strings.Compare(a.ID, c.ID)
	})
	return out, nil
}

func (b *BlacklistStore) userSessions(ctx context.Context, userID string, now time.Time) ([]sdk.Session, error) {
	ids, err := b.client.ZRangeArgs(ctx, goredis.ZRangeArgs{
		Key: b.sessionsKey(userID), ByScore: true,
		Start: "(" + strconv.FormatInt(now.UnixMilli(), 10), Stop: "+inf",
	}).Result()
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	cmds := make([]*goredis.MapStringStringCmd, len(ids))
	if _, err := b.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, b.sessionKey(userID, id))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var out []sdk.Session
	for i, c := range cmds {
		h := c.Val()
		exp := ms(h["expires"])
		if h["user"] != userID || h["revoked"] != "0" || now.UnixMilli() >= exp {
			continue
		}
		out = append(out, sdk.Session{
			ID: ids[i], UserID: userID, CreatedAt: time.UnixMilli(ms(h["created"])), LastUsedAt: time.UnixMilli(ms(h["used"])),
			ExpiresAt: time.UnixMilli(exp), ClientAddr: h["addr"], UserAgent: h["agent"],
		})
	}
	return out, nil
}

func ms(s string) int64 {
	v, _ := strconv.ParseInt(s, 10, 64)
	return v
}

// sessionUsers finds every user with a session set, on every master.
func (b *BlacklistStore) sessionUsers(ctx context.Context) ([]string, error) {
	pattern := escapeGlob(b.prefix) + "{u:*}:sessions"
	var users []string
	scan := func(ctx context.Context, c *goredis.Client) error {
		iter := c.Scan(ctx, 0, pattern, 500).Iterator()
		for iter.Next(ctx) {
			k := strings.TrimPrefix(iter.Val(), b.prefix+"{u:")
			users = append(users, strings.TrimSuffix(k, "}:sessions"))
		}
		return iter.Err()
	}
	switch c := b.client.(type) {
	case *goredis.ClusterClient:
		var mu sync.Mutex
		err := c.ForEachMaster(ctx, func(ctx context.Context, m *goredis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			return scan(ctx, m)
		})
		return users, err
	case *goredis.Client:
		return users, scan(ctx, c)
	}
	return nil, errors.New("listing every user's sessions needs a single server or a Cluster client")
}

// escapeGlob escapes SCAN's glob characters in the key prefix.
func escapeGlob(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}

var _ sdk.SessionStore = (*BlacklistStore)(nil)
