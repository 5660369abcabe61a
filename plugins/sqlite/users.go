package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/passwords"
)

// lastLoginLayout is how last_login is written: what Django's SQLite backend
// writes for an aware datetime under USE_TZ = True (naive UTC, microseconds),
// and what its parse_datetime reads back.
const lastLoginLayout = "2006-01-02 15:04:05.000000"

// UserStore is an sdk.UserStore and sdk.UserAdmin on a SQLite users table:
// its own jwtd_users table, or an existing one such as Django's auth_user
// (see UserStoreConfig). Users have integer ids. It is safe for concurrent
// use; Close closes the database, after which calls return errors wrapping
// sdk.ErrUnavailable.
type UserStore struct {
	db     *sql.DB // the writer (one connection)
	ro     *sql.DB // the read pool: lookups, Authenticate's read, Ping
	s      userSchema
	cols   []string // selected columns, in scan order
	isBool map[string]bool
	dummy  *passwords.Dummy

	selectSQL string
	byID      *sql.Stmt
	byLogin   *sql.Stmt

	// byField caches the prepared lookup per field name (USER_ID_FIELD is
	// one name per config, so it stays tiny; maxCachedFields bounds it).
	stmtMu  sync.Mutex
	byField map[string]*sql.Stmt
	closed  bool

	closeOnce sync.Once
	closeErr  error

	watch userWatch // feed.go
	feeds feedStop  // feed.go
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
	u := &UserStore{db: db, s: schema, byField: map[string]*sql.Stmt{}}
	if err := u.init(ctx, c.Path, busy); err != nil {
		db.Close()
		if u.ro != nil {
			u.ro.Close()
		}
		return nil, err
	}
	return u, nil
}

func (u *UserStore) init(ctx context.Context, path string, busy time.Duration) error {
	s := u.s
	if s.migrate {
		err := migrate(ctx, u.db, "users:"+s.table, userMigrations(s))
		if err != nil {
			if strings.Contains(err.Error(), "already exists") {
				return fmt.Errorf("%w (set migrate = false, or django = true, to use an existing table as it is)", err)
			}
			return err
		}
	}
	var err error
	if u.ro, err = openReader(ctx, path, busy); err != nil {
		return err
	}
	u.cols = []string{s.id, s.username, s.password, s.isActive, s.lastLogin}
	if s.attributes != "" {
		u.cols = append(u.cols, s.attributes)
	}
	u.cols = append(u.cols, s.attrCols...)
	quoted := make([]string, len(u.cols))
	for i, c := range u.cols {
		quoted[i] = quote(c)
	}
	u.selectSQL = "SELECT " + strings.Join(quoted, ", ") + " FROM " + quote(s.table) + " WHERE "

	// Check the table and every configured column exist, and learn which
	// attribute columns are declared boolean (Django's "bool").
	rows, err := u.ro.QueryContext(ctx, u.selectSQL+"0 LIMIT 0")
	if err != nil {
		return fmt.Errorf("%w: sqlite user store: table %q with the configured columns: %v", sdk.ErrInvalidConfig, s.table, err)
	}
	types, err := rows.ColumnTypes()
	rows.Close()
	if err != nil {
		return unavailable("column types", err)
	}
	u.isBool = map[string]bool{}
	for i, t := range types {
		switch strings.ToUpper(t.DatabaseTypeName()) {
		case "BOOL", "BOOLEAN":
			u.isBool[u.cols[i]] = true
		}
	}

	// The lookups are prepared once on the read pool and reused by every
	// call; database/sql re-prepares them lazily per pooled connection.
	u.byID, err = u.ro.PrepareContext(ctx, u.selectSQL+quote(s.id)+" = ?")
	if err != nil {
		return unavailable("prepare", err)
	}
	loginExpr, ok := u.fieldExpr(s.loginField)
	if !ok {
		return fmt.Errorf("%w: sqlite user store: login_field %q is neither username nor an attribute of the table", sdk.ErrInvalidConfig, s.loginField)
	}
	u.byLogin, err = u.ro.PrepareContext(ctx, u.selectSQL+loginExpr+" LIMIT 2")
	if err != nil {
		return unavailable("prepare", err)
	}
	return u.initDummy(ctx)
}

// initDummy picks the hash Authenticate burns for unknown users: the most
// recent user's, so the burn costs what the table's real hashes cost (a
// Django table of pbkdf2_sha256 hashes burns pbkdf2), or, in an empty or
// unusable table, a fresh hash by the configured hasher.
func (u *UserStore) initDummy(ctx context.Context) error {
	var hash sql.NullString
	err := u.ro.QueryRowContext(ctx, "SELECT "+quote(u.s.password)+" FROM "+quote(u.s.table)+
		" WHERE "+quote(u.s.password)+" LIKE '%$%' ORDER BY "+quote(u.s.id)+" DESC LIMIT 1").Scan(&hash)
	if err != nil && !isNoRows(err) {
		return unavailable("read a hash", err)
	}
	// Only the algorithm is checked (an unknown one would burn nothing): verifying the hash here would cost a
	// full hash computation at every start.
	if hash.Valid && passwords.Supported(hash.String) {
		u.dummy = passwords.NewDummyLike(hash.String)
		return nil
	}
	enc, err := u.s.hasher.Hash(fmt.Sprintf("unused-%p-%d", u, time.Now().UnixNano()))
	if err != nil {
		return err
	}
	u.dummy = passwords.NewDummyLike(enc)
	return nil
}

// userMigrations is the native table's schema, with the configured names.
func userMigrations(s userSchema) []migration {
	return []migration{
		func(ctx context.Context, tx *sql.Tx) error {
			cols := []string{
				quote(s.id) + " INTEGER PRIMARY KEY AUTOINCREMENT",
				quote(s.username) + " TEXT NOT NULL UNIQUE",
				quote(s.password) + " TEXT NOT NULL",
				quote(s.isActive) + " BOOL NOT NULL DEFAULT 1",
				quote(s.lastLogin) + " DATETIME NULL",
			}
			if s.attributes != "" {
				cols = append(cols, quote(s.attributes)+" TEXT NOT NULL DEFAULT '{}' CHECK (json_valid("+quote(s.attributes)+"))")
			}
			_, err := tx.ExecContext(ctx, "CREATE TABLE "+quote(s.table)+" (\n\t"+strings.Join(cols, ",\n\t")+"\n)")
			return err
		},
	}
}

// fieldExpr returns the SQL condition "<column> = ?" that finds users by a
// logical field name: "id", "username", an attribute column, or a key of the
// attributes JSON column. ok is false when the table has no such field.
func (u *UserStore) fieldExpr(field string) (expr string, ok bool) {
	switch {
	case field == "id":
		return quote(u.s.id) + " = ?", true
	case field == "username":
		return quote(u.s.username) + " = ?", true
	case slices.Contains(u.s.attrCols, field):
		return quote(field) + " = ?", true
	case u.s.attributes != "" && identifier.MatchString(field):
		// The value arrives as text; compare the JSON value as text so that
		// an attribute 7 matches "7" as it does in the memory store.
		return "CAST(json_extract(" + quote(u.s.attributes) + `, '$."` + field + `"') AS TEXT) = ?`, true
	}
	return "", false
}

// LoginFields returns [login_field, "password"].
func (u *UserStore) LoginFields(ctx context.Context) ([]string, error) {
	return []string{u.s.loginField, "password"}, nil
}

// Authenticate finds the user by the login field and verifies the password
// with passwords.Check. A wrong password, an unknown user, an ambiguous login
// (two rows) and an unusable or unreadable hash all give
// sdk.ErrInvalidCredentials, after the same hashing work. A password longer
// than passwords.MaxPasswordBytes is refused without hashing.
func (u *UserStore) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	password := creds["password"]
	if len(password) > passwords.MaxPasswordBytes {
		return sdk.User{}, sdk.ErrInvalidCredentials
	}
	users, err := u.query(ctx, u.byLogin, creds[u.s.loginField])
	if err != nil {
		return sdk.User{}, err
	}
	if len(users) != 1 {
		u.dummy.Check(password)
		return sdk.User{}, sdk.ErrInvalidCredentials
	}
	// An unusable or unreadable stored hash fails closed, after the same
	// work as a wrong password.
	user := users[0]
	if !u.dummy.Verify(password, user.PasswordHash) {
		return sdk.User{}, sdk.ErrInvalidCredentials
	}
	if u.s.rehash && u.s.hasher.MustUpdate(user.PasswordHash) {
		if enc, err := u.rehash(ctx, user, password); err != nil {
			// The login itself is good; the upgrade is tried again at the
			// next one.
			slog.Warn("sqlite user store: rehash on login failed", "user", user.ID, "err", err)
		} else if enc != "" {
			user.PasswordHash = enc
		}
	}
	return user, nil
}

// rehash stores a new hash of password for user unless the stored hash
// changed meanwhile (compare-and-set on the old value), as Django's
// check_password upgrades a hash on login. It returns the new hash, or ""
// when the row had changed.
func (u *UserStore) rehash(ctx context.Context, user sdk.User, password string) (string, error) {
	enc, err := u.s.hasher.Hash(password)
	if err != nil {
		return "", err
	}
	res, err := u.db.ExecContext(ctx, "UPDATE "+quote(u.s.table)+" SET "+quote(u.s.password)+" = ? WHERE "+quote(u.s.id)+" = ? AND "+quote(u.s.password)+" = ?",
		enc, user.ID, user.PasswordHash)
	if err != nil {
		return "", err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return "", err
	}
	return enc, nil
}

// LookupUser returns the user whose field ("id", "username" or an
// attribute) equals value. A non-numeric id or an unknown field is
// sdk.ErrUserNotFound, never an error of the store.
func (u *UserStore) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	round := u.watch.round()
	var users []sdk.User
	var err error
	if field == "id" {
		id, perr := strconv.ParseInt(value, 10, 64)
		if perr != nil {
			return sdk.User{}, sdk.ErrUserNotFound
		}
		users, err = u.query(ctx, u.byID, id)
	} else {
		st, release, ok, perr := u.fieldStmt(ctx, field)
		if perr != nil {
			return sdk.User{}, perr
		}
		if !ok {
			return sdk.User{}, sdk.ErrUserNotFound
		}
		users, err = u.query(ctx, st, value)
		release()
	}
	if err != nil {
		return sdk.User{}, err
	}
	// A non-unique attribute that matches several users identifies none.
	if len(users) != 1 {
		return sdk.User{}, sdk.ErrUserNotFound
	}
	u.watch.note(users[0], round)
	return users[0], nil
}

// RecordLogin writes at as the user's last login, in Django's format.
func (u *UserStore) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	id, err := strconv.ParseInt(userID, 10, 64)
	if err != nil {
		return sdk.ErrUserNotFound
	}
	return u.update(ctx, "record login", quote(u.s.lastLogin), at.UTC().Format(lastLoginLayout), quote(u.s.id), id)
}

// CreateUser adds a user with a hash of u.Password by the configured
// hasher (argon2id by default; pbkdf2_sha256, which every Django checks,
// with django). Attributes go
// to attribute columns by name and the rest to the attributes JSON column;
// an attribute with neither is refused. On Django's table the columns Django
// requires get Django's defaults (empty names and email, not staff, not
// superuser, joined now). sdk.ErrUserExists when the username is taken.
func (u *UserStore) CreateUser(ctx context.Context, nu sdk.NewUser) (sdk.User, error) {
	if nu.Username == "" {
		return sdk.User{}, errors.New("sqlite user store: username is required")
	}
	hash, err := u.hash(nu.Password)
	if err != nil {
		return sdk.User{}, err
	}
	values := map[string]any{}
	if u.s.django {
		values["first_name"], values["last_name"], values["email"] = "", "", ""
		values["is_staff"], values["is_superuser"] = false, false
		values["date_joined"] = time.Now().UTC().Format(lastLoginLayout)
	}
	extra := map[string]any{}
	for k, v := range nu.Attributes {
		if slices.Contains(u.s.attrCols, k) {
			values[k] = v
		} else {
			extra[k] = v
		}
	}
	if u.s.attributes != "" {
		raw, err := json.Marshal(extra)
		if err != nil {
			return sdk.User{}, fmt.Errorf("sqlite user store: attributes: %w", err)
		}
		values[u.s.attributes] = string(raw)
	} else if len(extra) > 0 {
		return sdk.User{}, fmt.Errorf("sqlite user store: attributes %v have no column", slices.Sorted(maps.Keys(extra)))
	}
	values[u.s.username] = nu.Username
	values[u.s.password] = hash
	values[u.s.isActive] = nu.IsActive

	cols := slices.Sorted(maps.Keys(values))
	quoted := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		quoted[i] = quote(c)
		args[i] = values[c]
	}
	q := "INSERT INTO " + quote(u.s.table) + " (" + strings.Join(quoted, ", ") + ") VALUES (?" + strings.Repeat(", ?", len(cols)-1) + ")"
	res, err := u.db.ExecContext(ctx, q, args...)
	if err != nil {
		var se sqlite3.Error
		if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique {
			return sdk.User{}, sdk.ErrUserExists
		}
		return sdk.User{}, unavailable("create user", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return sdk.User{}, unavailable("create user", err)
	}
	return u.LookupUser(ctx, "id", strconv.FormatInt(id, 10))
}

// SetPassword stores a new hash (configured hasher) for username, which changes the
// revoke claim of its tokens (CHECK_REVOKE_TOKEN).
func (u *UserStore) SetPassword(ctx context.Context, username, password string) error {
	hash, err := u.hash(password)
	if err != nil {
		return err
	}
	return u.update(ctx, "set password", quote(u.s.password), hash, quote(u.s.username), username)
}

// SetActive sets the user's is_active flag.
func (u *UserStore) SetActive(ctx context.Context, username string, active bool) error {
	return u.update(ctx, "set active", quote(u.s.isActive), active, quote(u.s.username), username)
}

// Ping checks that the database answers and the users table is readable.
func (u *UserStore) Ping(ctx context.Context) error {
	rows, err := u.ro.QueryContext(ctx, u.selectSQL+"0 LIMIT 0")
	if err != nil {
		return unavailable("ping", err)
	}
	return rows.Close()
}

// Close closes the database. Calling it again returns the first result.
func (u *UserStore) Close() error {
	u.closeOnce.Do(func() {
		u.feeds.stop()
		u.stmtMu.Lock()
		u.closed = true
		errs := []error{u.byID.Close(), u.byLogin.Close()}
		for _, st := range u.byField {
			errs = append(errs, st.Close())
		}
		u.stmtMu.Unlock()
		u.closeErr = errors.Join(append(errs, u.ro.Close(), u.db.Close())...)
	})
	return u.closeErr
}

func (u *UserStore) hash(password string) (string, error) {
	if len(password) > passwords.MaxPasswordBytes {
		return "", fmt.Errorf("sqlite user store: password longer than %d bytes", passwords.MaxPasswordBytes)
	}
	return u.s.hasher.Hash(password)
}

// update sets one column of the rows where key = keyValue; no row is
// sdk.ErrUserNotFound.
func (u *UserStore) update(ctx context.Context, op, col string, value any, key string, keyValue any) error {
	res, err := u.db.ExecContext(ctx, "UPDATE "+quote(u.s.table)+" SET "+col+" = ? WHERE "+key+" = ?", value, keyValue)
	if err != nil {
		return unavailable(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return unavailable(op, err)
	}
	if n == 0 {
		return sdk.ErrUserNotFound
	}
	return nil
}

func (u *UserStore) query(ctx context.Context, st *sql.Stmt, arg any) ([]sdk.User, error) {
	rows, err := st.QueryContext(ctx, arg)
	if err != nil {
		return nil, unavailable("find user", err)
	}
	return u.scanAll(rows)
}

// maxCachedFields bounds the prepared-lookup cache.
const maxCachedFields = 16

// fieldStmt returns the prepared lookup by field and a release func to call
// after use; ok is false when the table has no such field.
func (u *UserStore) fieldStmt(ctx context.Context, field string) (st *sql.Stmt, release func(), ok bool, err error) {
	expr, ok := u.fieldExpr(field)
	if !ok {
		return nil, nil, false, nil
	}
	u.stmtMu.Lock()
	defer u.stmtMu.Unlock()
	if u.closed {
		return nil, nil, false, unavailable("find user", errors.New("store is closed"))
	}
	if st, ok := u.byField[field]; ok {
		return st, func() {}, true, nil
	}
	st, err = u.ro.PrepareContext(ctx, u.selectSQL+expr+" LIMIT 2")
	if err != nil {
		return nil, nil, false, unavailable("prepare", err)
	}
	if len(u.byField) >= maxCachedFields {
		// Beyond the bound: a one-off statement, closed after use.
		return st, func() { st.Close() }, true, nil
	}
	u.byField[field] = st
	return st, func() {}, true, nil
}

func (u *UserStore) scanAll(rows *sql.Rows) ([]sdk.User, error) {
	defer rows.Close()
	var users []sdk.User
	for rows.Next() {
		vals := make([]any, len(u.cols))
		ptrs := make([]any, len(u.cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, unavailable("read user", err)
		}
		user, err := u.toUser(vals)
		if err != nil {
			return nil, err
		}
		users = append(users, user)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("read user", err)
	}
	return users, nil
}

// toUser converts one scanned row (in u.cols order) to an sdk.User.
func (u *UserStore) toUser(vals []any) (sdk.User, error) {
	user := sdk.User{
		ID:           asText(vals[0]),
		Username:     asText(vals[1]),
		PasswordHash: asText(vals[2]),
		IsActive:     asBool(vals[3]),
		LastLogin:    asTime(vals[4]),
	}
	i := 5
	if u.s.attributes != "" {
		if raw := asText(vals[i]); raw != "" {
			if err := json.Unmarshal([]byte(raw), &user.Attributes); err != nil {
				return sdk.User{}, fmt.Errorf("sqlite user store: user %s: attributes are not a JSON object: %v", user.ID, err)
			}
		}
		i++
	}
	for _, col := range u.s.attrCols {
		if user.Attributes == nil {
			user.Attributes = map[string]any{}
		}
		user.Attributes[col] = u.attrValue(col, vals[i])
		i++
	}
	return user, nil
}

// attrValue makes a column value JSON-compatible: text for bytes, a boolean
// for a column declared bool, RFC 3339 for a datetime.
func (u *UserStore) attrValue(col string, v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case int64:
		if u.isBool[col] {
			return x != 0
		}
	}
	return v
}

func asText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(lastLoginLayout)
	default:
		return fmt.Sprint(x)
	}
}

func asBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string, []byte:
		switch strings.ToLower(asText(x)) {
		case "1", "true", "t":
			return true
		}
	}
	return false
}

// asTime reads last_login: the driver already parses datetime-declared
// columns; text in other columns is parsed with the same layouts.
func asTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string, []byte:
		s := strings.TrimSuffix(asText(x), "Z")
		for _, layout := range sqlite3.SQLiteTimestampFormats {
			if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
				return t.UTC()
			}
		}
	case int64:
		return time.Unix(x, 0).UTC()
	}
	return time.Time{}
}

// Interface guards.
var (
	_ sdk.UserStore              = (*UserStore)(nil)
	_ sdk.UserAdmin              = (*UserStore)(nil)
	_ sdk.Pinger                 = (*UserStore)(nil)
	_ io.Closer                  = (*UserStore)(nil)
	_ sdk.Factory[sdk.UserStore] = NewUserStore
)
