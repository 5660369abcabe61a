// Package htpasswd is an example jwtd user store: the users of an Apache
// htpasswd file with bcrypt hashes (the file `htpasswd -B` writes), and
// optionally their groups from an Apache group file (AuthGroupFile).
//
// It is written the way a jwtd user would write a user store: it imports only
// github.com/jwtd/jwtd/sdk (and x/crypto/bcrypt), implements sdk.UserStore,
// and is served out of process by the few lines of ../main.go.
package htpasswd

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/jwtd/jwtd/sdk"
)

// Config is the store's [plugins.user_store.config] table.
type Config struct {
	// Path is the htpasswd file, one "username:$2y$..." line per user. It is
	// required. In jwtd.toml a relative path means relative to the config
	// file: jwtd makes "path" and "*_file" values absolute before handing the
	// table over.
	Path string `json:"path"`
	// GroupsFile is an optional Apache group file ("group: user1 user2" lines).
	// When set, each user gets the attribute "groups": the sorted names of
	// the groups that list them (an empty list for none), which an
	// authentication rule or claim serializer can use.
	GroupsFile string `json:"groups_file"`
}

// Store is an sdk.UserStore over an htpasswd file. The user id is the
// username: it is what htpasswd keys users by, and unlike a line number it
// stays the same when other lines are added or removed, so a token never
// changes owner when the file is edited. Every user is active.
//
// The file is read at start and again whenever its modification time or size
// changes (checked on every call, a single stat), so edits by `htpasswd -B`
// take effect without a restart. A file that no longer parses makes calls
// fail with sdk.ErrUnavailable (requests fail closed) until it is fixed; the
// store never keeps serving a stale copy, which could keep a removed user
// alive.
//
// LastLogin is kept in memory only: htpasswd has nowhere to store it.
type Store struct {
	cfg Config

	mu        sync.Mutex
	users     map[string]entry
	stamp     fileStamp
	loadErr   error
	dummyHash []byte
	dummyCost int
	lastLogin map[string]time.Time
}

// entry is one user of the file.
type entry struct {
	hash   string
	groups []string
	line   int
}

// fileStamp identifies one version of the files on disk.
type fileStamp struct {
	mod, groupMod   time.Time
	size, groupSize int64
}

// New is the store's sdk.Factory: it decodes cfg (refusing unknown keys),
// reads the files, and refuses to start on any error, naming the file and
// line.
func New(ctx context.Context, cfg sdk.Config) (sdk.UserStore, error) {
	var c Config
	if err := cfg.Decode(&c); err != nil {
		return nil, fmt.Errorf("htpasswd: %w", err)
	}
	if c.Path == "" {
		return nil, fmt.Errorf("htpasswd: %w: \"path\" is required", sdk.ErrInvalidConfig)
	}
	s := &Store{cfg: c, lastLogin: map[string]time.Time{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return nil, fmt.Errorf("htpasswd: %w", err)
	}
	return s, nil
}

// LoginFields implements sdk.UserStore: htpasswd users log in with a
// username and a password.
func (s *Store) LoginFields(ctx context.Context) ([]string, error) {
	return []string{"username", "password"}, nil
}

// Authenticate implements sdk.UserStore. An unknown username costs one bcrypt
// comparison against a dummy hash of the file's highest cost, the same work
// as a wrong password, so response times do not reveal which usernames exist.
func (s *Store) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	username, password := creds["username"], creds["password"]
	s.mu.Lock()
	if err := s.refreshLocked(); err != nil {
		s.mu.Unlock()
		return sdk.User{}, err
	}
	e, known := s.users[username]
	hash := s.dummyHash
	if known {
		hash = []byte(e.hash)
	}
	s.mu.Unlock()

	// The comparison runs outside the lock: it is the slow part, and
	// concurrent logins must not queue behind each other.
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	// An empty password never matches, even one hashed as such: an empty
	// login field is a malformed request, not a login.
	if !match || !known || password == "" {
		return sdk.User{}, sdk.ErrInvalidCredentials
	}
	return s.user(username)
}

// LookupUser implements sdk.UserStore for the fields "id" and "username"
// (both the username) and, with a group file, nothing else: any other field
// finds no user.
func (s *Store) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	if field != "id" && field != "username" {
		return sdk.User{}, sdk.ErrUserNotFound
	}
	return s.user(value)
}

// RecordLogin implements sdk.UserStore, in memory only.
func (s *Store) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refreshLocked(); err != nil {
		return err
	}
	if _, ok := s.users[userID]; !ok {
		return sdk.ErrUserNotFound
	}
	s.lastLogin[userID] = at.UTC()
	return nil
}

// Ping implements sdk.Pinger: the store is ready while its files parse.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshLocked()
}

// user returns the sdk.User for username, reloading the files first if they
// changed.
func (s *Store) user(username string) (sdk.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refreshLocked(); err != nil {
		return sdk.User{}, err
	}
	e, ok := s.users[username]
	if !ok {
		return sdk.User{}, sdk.ErrUserNotFound
	}
	u := sdk.User{
		ID:           username,
		Username:     username,
		IsActive:     true,
		PasswordHash: e.hash,
		LastLogin:    s.lastLogin[username],
	}
	if s.cfg.GroupsFile != "" {
		groups := make([]any, len(e.groups))
		for i, g := range e.groups {
			groups[i] = g
		}
		u.Attributes = map[string]any{"groups": groups}
	}
	return u, nil
}

// refreshLocked reloads the files when their stamp changed since the last
// load, and returns the load error while they do not parse.
func (s *Store) refreshLocked() error {
	st, err := s.statLocked()
	if err != nil {
		s.users, s.stamp = nil, fileStamp{}
		s.loadErr = unavailable(err)
		return s.loadErr
	}
	if st == s.stamp && s.loadErr == nil {
		return nil
	}
	return s.reloadLocked()
}

// statLocked returns the current stamp of the configured files.
func (s *Store) statLocked() (fileStamp, error) {
	var st fileStamp
	fi, err := os.Stat(s.cfg.Path)
	if err != nil {
		return st, err
	}
	st.mod, st.size = fi.ModTime(), fi.Size()
	if s.cfg.GroupsFile != "" {
		gi, err := os.Stat(s.cfg.GroupsFile)
		if err != nil {
			return st, err
		}
		st.groupMod, st.groupSize = gi.ModTime(), gi.Size()
	}
	return st, nil
}

// reloadLocked reads and parses the files and swaps them in, or records and
// returns the error (wrapped in sdk.ErrUnavailable) leaving no users served.
func (s *Store) reloadLocked() error {
	err := s.loadLocked()
	if err != nil {
		s.users = nil
		s.stamp = fileStamp{}
		s.loadErr = unavailable(err)
		return s.loadErr
	}
	s.loadErr = nil
	return nil
}

func (s *Store) loadLocked() error {
	// Stat before reading: a write landing between the two is then seen as
	// a change on the next call and read again, never missed.
	st, err := s.statLocked()
	if err != nil {
		return err
	}
	users, maxCost, err := readHtpasswd(s.cfg.Path)
	if err != nil {
		return err
	}
	if s.cfg.GroupsFile != "" {
		if err := readGroups(s.cfg.GroupsFile, users); err != nil {
			return err
		}
	}
	if s.dummyHash == nil || s.dummyCost != maxCost {
		dummy, err := bcrypt.GenerateFromPassword([]byte("jwtd htpasswd dummy password"), maxCost)
		if err != nil {
			return fmt.Errorf("making the dummy hash: %v", err)
		}
		s.dummyHash, s.dummyCost = dummy, maxCost
	}
	s.users, s.stamp = users, st
	return nil
}

// unavailable wraps err so that the host fails the request closed (503).
func unavailable(err error) error {
	return fmt.Errorf("htpasswd: %w: %w", sdk.ErrUnavailable, err)
}

var (
	_ sdk.UserStore = (*Store)(nil)
	_ sdk.Pinger    = (*Store)(nil)
)
