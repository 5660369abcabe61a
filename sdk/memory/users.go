// Package memory holds in-memory implementations of the sdk plugin
// interfaces: a UserStore (with UserAdmin) and a BlacklistStore. They keep
// everything in process memory and are meant for tests, examples and
// single-process experiments; state is lost when the process exits.
package memory

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// UserStore is an in-memory sdk.UserStore and sdk.UserAdmin. Passwords are
// kept as "sha256$SALT$HEX" (salted SHA-256): enough for tests, not a
// production hasher. User ids are sequential integers as strings, from "1".
// It is safe for concurrent use.
type UserStore struct {
	mu     sync.RWMutex
	nextID int
	byID   map[string]*sdk.User
	byName map[string]*sdk.User
	// dummyHash is verified against when a username is unknown, so that
	// Authenticate spends the same work whether or not the user exists.
	dummyHash string
}

// NewUserStore returns an empty store.
func NewUserStore() *UserStore {
	return &UserStore{
		byID:      map[string]*sdk.User{},
		byName:    map[string]*sdk.User{},
		dummyHash: hashPassword("not a password"),
	}
}

// hashPassword returns the "sha256$SALT$HEX" form of password with a fresh
// random salt, as the store keeps it.
func hashPassword(password string) string {
	var salt [12]byte
	if _, err := rand.Read(salt[:]); err != nil {
		// crypto/rand never fails on supported platforms; a fixed salt keeps
		// the store usable rather than panicking.
		copy(salt[:], "jwtd-memory!")
	}
	s := hex.EncodeToString(salt[:])
	return "sha256$" + s + "$" + digest(s, password)
}

func digest(salt, password string) string {
	sum := sha256.Sum256([]byte(salt + "$" + password))
	return hex.EncodeToString(sum[:])
}

// checkPassword compares in constant time; a malformed hash never matches
// (an empty or "!" hash is Django's unusable password).
func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 3 || parts[0] != "sha256" {
		// Still burn the same work so timing does not tell.
		digest("", password)
		return false
	}
	want := digest(parts[1], password)
	return subtle.ConstantTimeCompare([]byte(want), []byte(parts[2])) == 1
}

func copyUser(u *sdk.User) sdk.User {
	c := *u
	if u.Attributes != nil {
		c.Attributes = maps.Clone(u.Attributes)
	}
	return c
}

// LoginFields returns ["username", "password"].
func (s *UserStore) LoginFields(ctx context.Context) ([]string, error) {
	return []string{"username", "password"}, nil
}

// Authenticate checks creds["username"] and creds["password"]. Unknown users
// and wrong passwords both give sdk.ErrInvalidCredentials after the same
// hashing work.
func (s *UserStore) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	if err := ctx.Err(); err != nil {
		return sdk.User{}, fmt.Errorf("%w: %v", sdk.ErrUnavailable, err)
	}
	s.mu.RLock()
	u, ok := s.byName[creds["username"]]
	var cp sdk.User
	hash := s.dummyHash
	if ok {
		cp = copyUser(u)
		hash = u.PasswordHash
	}
	s.mu.RUnlock()
	match := checkPassword(hash, creds["password"])
	if !ok || !match {
		return sdk.User{}, sdk.ErrInvalidCredentials
	}
	return cp, nil
}

// LookupUser finds a user by "id", "username" or an attribute name. Attribute
// values are compared in their string form (fmt %v), so an integer attribute
// 7 matches "7".
func (s *UserStore) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	if err := ctx.Err(); err != nil {
		return sdk.User{}, fmt.Errorf("%w: %v", sdk.ErrUnavailable, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch field {
	case "id":
		if u, ok := s.byID[value]; ok {
			return copyUser(u), nil
		}
	case "username":
		if u, ok := s.byName[value]; ok {
			return copyUser(u), nil
		}
	default:
		for _, u := range s.byID {
			if v, ok := u.Attributes[field]; ok && fmt.Sprint(v) == value {
				return copyUser(u), nil
			}
		}
	}
	return sdk.User{}, sdk.ErrUserNotFound
}

// RecordLogin sets the user's LastLogin.
func (s *UserStore) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byID[userID]
	if !ok {
		return sdk.ErrUserNotFound
	}
	u.LastLogin = at
	return nil
}

// CreateUser adds a user with the next sequential id.
func (s *UserStore) CreateUser(ctx context.Context, nu sdk.NewUser) (sdk.User, error) {
	if nu.Username == "" {
		return sdk.User{}, fmt.Errorf("memory: username must not be empty")
	}
	hash := hashPassword(nu.Password)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byName[nu.Username]; ok {
		return sdk.User{}, sdk.ErrUserExists
	}
	s.nextID++
	u := &sdk.User{
		ID:           strconv.Itoa(s.nextID),
		Username:     nu.Username,
		IsActive:     nu.IsActive,
		PasswordHash: hash,
		Attributes:   maps.Clone(nu.Attributes),
	}
	s.byID[u.ID] = u
	s.byName[u.Username] = u
	return copyUser(u), nil
}

// Import adds u exactly as given, keeping its PasswordHash (for example a
// Django hash carried over from another store, whose revoke claim must stay
// the same). An empty ID gets the next sequential id. It returns
// sdk.ErrUserExists when the username or id is taken.
func (s *UserStore) Import(ctx context.Context, u sdk.User) (sdk.User, error) {
	if u.Username == "" {
		return sdk.User{}, fmt.Errorf("memory: username must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byName[u.Username]; ok {
		return sdk.User{}, sdk.ErrUserExists
	}
	if u.ID == "" {
		s.nextID++
		u.ID = strconv.Itoa(s.nextID)
	} else if n, err := strconv.Atoi(u.ID); err == nil && n > s.nextID {
		s.nextID = n
	}
	if _, ok := s.byID[u.ID]; ok {
		return sdk.User{}, sdk.ErrUserExists
	}
	cp := copyUser(&u)
	s.byID[cp.ID] = &cp
	s.byName[cp.Username] = &cp
	return copyUser(&cp), nil
}

// SetPassword replaces the user's password hash (with a fresh salt, so the
// revoke claim changes even for the same password, as in Django).
func (s *UserStore) SetPassword(ctx context.Context, username, password string) error {
	hash := hashPassword(password)
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byName[username]
	if !ok {
		return sdk.ErrUserNotFound
	}
	u.PasswordHash = hash
	return nil
}

// SetActive sets the user's IsActive.
func (s *UserStore) SetActive(ctx context.Context, username string, active bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byName[username]
	if !ok {
		return sdk.ErrUserNotFound
	}
	u.IsActive = active
	return nil
}

// DeleteUser removes a user (tests use it to model a deleted account).
// ErrUserNotFound when there is no such user.
func (s *UserStore) DeleteUser(ctx context.Context, username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byName[username]
	if !ok {
		return sdk.ErrUserNotFound
	}
	delete(s.byName, username)
	delete(s.byID, u.ID)
	return nil
}

// Interface guards.
var (
	_ sdk.UserStore = (*UserStore)(nil)
	_ sdk.UserAdmin = (*UserStore)(nil)
)
