package sqlstore

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
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/passwords"
)

// UserStore is an sdk.UserStore and sdk.UserAdmin on a SQL users table:
// jwtd's own table, or an existing one such as Django's auth_user (see
// UserStoreConfig). It is safe for concurrent use, also by several jwtd
// processes on one database; Close closes the pool, after which calls
// return errors wrapping sdk.ErrUnavailable.
type UserStore struct {
	c      *conn
	s      UserSchema
	cols   []string // selected columns, in scan order
	isBool map[string]bool
	dummy  *passwords.Dummy

	selectSQL string // "SELECT cols FROM table WHERE "
	byIDSQL   string
	byLogin   string

	// prepare (NewUserStoreOn) keeps the lookups prepared on the read
	// pool, keyed by their SQL: on SQLite parsing a lookup costs more than
	// running it. The keys are the id and login lookups and one per
	// LookupUser field (USER_ID_FIELD, a handful), bounded by
	// maxPreparedLookups; beyond, lookups run unprepared.
	prepare bool
	stmtMu  sync.Mutex
	stmts   map[string]*sql.Stmt
	closed  bool

	closeOnce sync.Once
	closeErr  error
}

// maxPreparedLookups bounds the prepared lookups a store keeps.
const maxPreparedLookups = 16

// OpenUserStore opens the user store cfg describes (UserStoreConfig) on d.
func OpenUserStore(ctx context.Context, d Dialect, cfg sdk.Config) (*UserStore, error) {
	var c UserStoreConfig
	if err := cfg.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s user store: %w", d.Name(), err)
	}
	schema, err := ResolveUserMapping(c.UserMapping)
	if err != nil {
		return nil, fmt.Errorf("%s user store: %w", d.Name(), err)
	}
	cn, err := open(ctx, d, c.ConnConfig, "user store")
	if err != nil {
		return nil, err
	}
	u := &UserStore{c: cn, s: schema}
	if err := u.init(ctx); err != nil {
		cn.db.Close()
		return nil, err
	}
	return u, nil
}

// NewUserStoreOn is the user store with schema (ResolveUserMapping) on
// pools the caller opened and configured (SQLite's single writer
// connection and its read-only pool): writes go through db, reads through
// ro (db when nil), each call bounded by queryTimeout (0: by the caller's
// deadline only). The lookups are prepared once on ro and reused. On success the
// store owns both pools (Close closes them); on error the caller keeps
// them.
func NewUserStoreOn(ctx context.Context, d Dialect, db, ro *sql.DB, schema UserSchema, queryTimeout time.Duration) (*UserStore, error) {
	u := &UserStore{c: &conn{d: d, db: db, ro: ro, queryTimeout: queryTimeout}, s: schema, prepare: true, stmts: map[string]*sql.Stmt{}}
	if err := u.init(ctx); err != nil {
		u.closeStmts()
		return nil, err
	}
	return u, nil
}

func (u *UserStore) init(ctx context.Context) error {
	s, d := u.s, u.c.d
	q := d.Quote
	if s.Migrate {
		if err := migrate(ctx, u.c, "users:"+s.Table, userMigrations(d, s)); err != nil {
			return fmt.Errorf("%w (set migrate = false, or django = true, to use an existing table as it is)", err)
		}
	}
	u.cols = []string{s.ID, s.Username, s.Password, s.IsActive, s.LastLogin}
	if s.Attributes != "" {
		u.cols = append(u.cols, s.Attributes)
	}
	u.cols = append(u.cols, s.AttrCols...)
	quoted := make([]string, len(u.cols))
	for i, c := range u.cols {
		quoted[i] = q(c)
	}
	u.selectSQL = "SELECT " + strings.Join(quoted, ", ") + " FROM " + q(s.Table) + " WHERE "

	// Check the table and every configured column exist, and learn which
	// attribute columns are boolean (Django's BooleanField).
	cctx, cancel := u.c.ctx(ctx)
	defer cancel()
	rows, err := u.c.reader().QueryContext(cctx, u.selectSQL+"1 = 0")
	if err != nil {
		return fmt.Errorf("%w: %s user store: table %q with the configured columns: %v", sdk.ErrInvalidConfig, d.Name(), s.Table, err)
	}
	types, err := rows.ColumnTypes()
	rows.Close()
	if err != nil {
		return u.c.unavailable("column types", err)
	}
	u.isBool = map[string]bool{}
	for i, t := range types {
		if d.IsBoolType(t.DatabaseTypeName()) {
			u.isBool[u.cols[i]] = true
		}
	}
	u.byIDSQL = d.Rebind(u.selectSQL + q(s.ID) + " = ?")
	loginExpr, ok := u.fieldExpr(s.LoginField)
	if !ok {
		return fmt.Errorf("%w: %s user store: login_field %q is neither username nor an attribute of the table", sdk.ErrInvalidConfig, d.Name(), s.LoginField)
	}
	u.byLogin = d.Rebind(u.selectSQL + loginExpr + " LIMIT 2")
	return u.initDummy(cctx)
}

// initDummy picks the hash Authenticate burns for unknown users: the most
// recent user's, so the burn costs what the table's real hashes cost, or,
// in an empty table, a fresh hash with the configured hasher.
func (u *UserStore) initDummy(ctx context.Context) error {
	q := u.c.d.Quote
	var hash *string
	err := u.c.queryRow(ctx, "SELECT "+q(u.s.Password)+" FROM "+q(u.s.Table)+
		" WHERE "+q(u.s.Password)+" LIKE '%$%' ORDER BY "+q(u.s.ID)+" DESC LIMIT 1", nil, &hash)
	if err != nil && !isNoRows(err) {
		return u.c.unavailable("read a hash", err)
	}
	if hash != nil && passwords.Supported(*hash) {
		u.dummy = passwords.NewDummyLike(*hash)
		return nil
	}
	secret, err := uuid.NewRandom()
	if err != nil {
		return err
	}
	enc, err := u.s.Hasher.Hash(secret.String())
	if err != nil {
		return err
	}
	u.dummy = passwords.NewDummyLike(enc)
	return nil
}

// userMigrations is the native table's schema, with the configured names.
func userMigrations(d Dialect, s UserSchema) [][]string {
	t, q := d.Types(), d.Quote
	id := q(s.ID) + " " + t.AutoID
	if s.IDType == IDUUID {
		id = q(s.ID) + " " + t.UUIDKey
	}
	cols := []string{
		id,
		q(s.Username) + " " + t.Name + " NOT NULL UNIQUE",
		q(s.Password) + " " + t.Text + " NOT NULL",
		q(s.IsActive) + " " + t.Bool + " NOT NULL DEFAULT " + t.True,
		q(s.LastLogin) + " " + t.Time + " NULL",
	}
	if s.Attributes != "" {
		col := q(s.Attributes) + " " + t.JSON + " NOT NULL"
		if t.JSONCheck != "" {
			col += " DEFAULT '{}' CHECK (" + t.JSONCheck + "(" + q(s.Attributes) + "))"
		}
		cols = append(cols, col)
	}
	return [][]string{{"CREATE TABLE " + q(s.Table) + " (\n\t" + strings.Join(cols, ",\n\t") + "\n)" + t.TableSuffix}}
}

// fieldExpr returns the SQL condition "<column> = ?" that finds users by a
// logical field name: "id", "username", an attribute column, or a key of
// the attributes JSON column. ok is false when the table has no such
// field.
func (u *UserStore) fieldExpr(field string) (expr string, ok bool) {
	q := u.c.d.Quote
	switch {
	case field == "id":
		return q(u.s.ID) + " = ?", true
	case field == "username" || field == u.s.Username:
		// The username column by its own name too: a Django model whose
		// USERNAME_FIELD is email has no username column, and Simple
		// JWT's obtain takes {"email", "password"}.
		return q(u.s.Username) + " = ?", true
	case slices.Contains(u.s.AttrCols, field):
		return q(field) + " = ?", true
	case u.s.Attributes != "" && identifier.MatchString(field):
		return u.c.d.JSONText(q(u.s.Attributes), field) + " = ?", true
	}
	return "", false
}

// LoginFields returns [login_field, "password"].
func (u *UserStore) LoginFields(ctx context.Context) ([]string, error) {
	return []string{u.s.LoginField, "password"}, nil
}

// Authenticate finds the user by the login field and verifies the
// password. A wrong password, an unknown user, an ambiguous login (two
// rows) and an unusable or unreadable hash all give
// sdk.ErrInvalidCredentials, after the same hashing work. With
// rehash_on_login, a hash weaker than the configured hasher's is rewritten
// after the check succeeds, and the user returned carries the new hash.
func (u *UserStore) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	password := creds["password"]
	if len(password) > passwords.MaxPasswordBytes {
		return sdk.User{}, sdk.ErrInvalidCredentials
	}
	users, err := u.query(ctx, u.byLogin, creds[u.s.LoginField])
	if err != nil {
		return sdk.User{}, err
	}
	if len(users) != 1 {
		u.dummy.Check(password)
		return sdk.User{}, sdk.ErrInvalidCredentials
	}
	user := users[0]
	if !u.dummy.Verify(password, user.PasswordHash) {
		return sdk.User{}, sdk.ErrInvalidCredentials
	}
	if u.s.Rehash && u.s.Hasher.MustUpdate(user.PasswordHash) {
		if enc, err := u.rehash(ctx, user, password); err != nil {
			// The login itself is good; the upgrade is tried again at the
			// next one.
			slog.Warn("sql user store: rehash on login failed", "db", u.c.d.Name(), "user", user.ID, "err", err)
		} else if enc != "" {
			user.PasswordHash = enc
		}
	}
	return user, nil
}

// rehash stores a new hash of password for user, unless the stored hash
// changed meanwhile (a compare-and-set on the old value, so a concurrent
// password change is never overwritten). It returns the new hash, or ""
// when the row had changed.
func (u *UserStore) rehash(ctx context.Context, user sdk.User, password string) (string, error) {
	enc, err := u.s.Hasher.Hash(password)
	if err != nil {
		return "", err
	}
	id, ok := u.s.IDType.arg(u.c.d, user.ID)
	if !ok {
		return "", nil
	}
	q := u.c.d.Quote
	cctx, cancel := u.c.ctx(ctx)
	defer cancel()
	res, err := u.c.exec(cctx, u.c.d.Rebind("UPDATE "+q(u.s.Table)+" SET "+q(u.s.Password)+" = ? WHERE "+q(u.s.ID)+" = ? AND "+q(u.s.Password)+" = ?"),
		enc, id, user.PasswordHash)
	if err != nil {
		return "", err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return "", err
	}
	return enc, nil
}

// LookupUser returns the user whose field ("id", "username" or an
// attribute) equals value. A value that cannot be a key, or an unknown
// field, is sdk.ErrUserNotFound, never an error of the store.
func (u *UserStore) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	var users []sdk.User
	var err error
	if field == "id" {
		id, ok := u.s.IDType.arg(u.c.d, value)
		if !ok {
			return sdk.User{}, sdk.ErrUserNotFound
		}
		users, err = u.query(ctx, u.byIDSQL, id)
	} else {
		expr, ok := u.fieldExpr(field)
		if !ok {
			return sdk.User{}, sdk.ErrUserNotFound
		}
		users, err = u.query(ctx, u.c.d.Rebind(u.selectSQL+expr+" LIMIT 2"), value)
	}
	if err != nil {
		return sdk.User{}, err
	}
	if len(users) != 1 {
		return sdk.User{}, sdk.ErrUserNotFound
	}
	return users[0], nil
}

// RecordLogin writes at as the user's last login.
func (u *UserStore) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	id, ok := u.s.IDType.arg(u.c.d, userID)
	if !ok {
		return sdk.ErrUserNotFound
	}
	return u.update(ctx, "record login", u.s.LastLogin, u.c.d.TimeArg(at), u.s.ID, id)
}

// CreateUser adds a user with a hash of u.Password by the configured
// hasher (pbkdf2_sha256 on Django's table). Attributes go to attribute
// columns by name and the rest to the attributes JSON column; an attribute
// with neither is refused. On Django's table the columns Django requires
// get Django's defaults (empty names and email, not staff, not superuser,
// joined now), those of them the table has (attribute_columns). A UUID key is generated here, as Django's uuid4 default is
// applied by Python, not by the database. sdk.ErrUserExists when the
// username is taken.
func (u *UserStore) CreateUser(ctx context.Context, nu sdk.NewUser) (sdk.User, error) {
	d := u.c.d
	if nu.Username == "" {
		return sdk.User{}, errors.New("sql user store: username is required")
	}
	hash, err := u.hash(nu.Password)
	if err != nil {
		return sdk.User{}, err
	}
	values := map[string]any{}
	if u.s.Django {
		// Only the columns the table has (attribute_columns): a custom
		// user model may lack auth_user's names and flags.
		defaults := map[string]any{
			"first_name": "", "last_name": "", "email": "",
			"is_staff": false, "is_superuser": false, "date_joined": d.TimeArg(time.Now()),
		}
		for col, v := range defaults {
			if slices.Contains(u.s.AttrCols, col) {
				values[col] = v
			}
		}
	}
	extra := map[string]any{}
	for k, v := range nu.Attributes {
		if slices.Contains(u.s.AttrCols, k) {
			values[k] = v
		} else {
			extra[k] = v
		}
	}
	if u.s.Attributes != "" {
		raw, err := json.Marshal(extra)
		if err != nil {
			return sdk.User{}, fmt.Errorf("sql user store: attributes: %w", err)
		}
		values[u.s.Attributes] = string(raw)
	} else if len(extra) > 0 {
		return sdk.User{}, fmt.Errorf("sql user store: attributes %v have no column", slices.Sorted(maps.Keys(extra)))
	}
	values[u.s.Username] = nu.Username
	values[u.s.Password] = hash
	values[u.s.IsActive] = nu.IsActive
	var newID string
	if u.s.IDType == IDUUID {
		id, err := uuid.NewRandom()
		if err != nil {
			return sdk.User{}, err
		}
		newID = id.String()
		values[u.s.ID] = d.UUIDArg(newID)
	}

	cols := slices.Sorted(maps.Keys(values))
	quoted := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		quoted[i] = d.Quote(c)
		args[i] = values[c]
	}
	query := d.Rebind("INSERT INTO " + d.Quote(u.s.Table) + " (" + strings.Join(quoted, ", ") + ") VALUES (?" + strings.Repeat(", ?", len(cols)-1) + ")")
	cctx, cancel := u.c.ctx(ctx)
	defer cancel()
	if u.s.IDType == IDUUID {
		_, err = u.c.db.ExecContext(cctx, query, args...)
	} else {
		var id int64
		id, err = d.InsertID(cctx, u.c.db, query, u.s.ID, args...)
		newID = fmt.Sprint(id)
	}
	if err != nil {
		if d.IsUniqueViolation(err) {
			return sdk.User{}, sdk.ErrUserExists
		}
		return sdk.User{}, u.c.unavailable("create user", err)
	}
	return u.LookupUser(ctx, "id", newID)
}

// SetPassword stores a new hash for username (configured hasher), which
// changes the revoke claim of its tokens (CHECK_REVOKE_TOKEN).
func (u *UserStore) SetPassword(ctx context.Context, username, password string) error {
	hash, err := u.hash(password)
	if err != nil {
		return err
	}
	return u.update(ctx, "set password", u.s.Password, hash, u.s.Username, username)
}

// SetActive sets the user's is_active flag.
func (u *UserStore) SetActive(ctx context.Context, username string, active bool) error {
	return u.update(ctx, "set active", u.s.IsActive, active, u.s.Username, username)
}

// Ping checks that the database answers and the users table is readable.
func (u *UserStore) Ping(ctx context.Context) error {
	cctx, cancel := u.c.ctx(ctx)
	defer cancel()
	rows, err := u.c.reader().QueryContext(cctx, u.selectSQL+"1 = 0")
	if err != nil {
		return u.c.unavailable("ping", err)
	}
	return rows.Close()
}

// Close closes the pool (both pools of NewUserStoreOn). Calling it again
// returns the first result.
func (u *UserStore) Close() error {
	u.closeOnce.Do(func() { u.closeErr = errors.Join(u.closeStmts(), u.c.close()) })
	return u.closeErr
}

func (u *UserStore) closeStmts() error {
	u.stmtMu.Lock()
	defer u.stmtMu.Unlock()
	u.closed = true
	var errs []error
	for _, st := range u.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// stmt returns the prepared lookup for query, preparing it on the read
// pool at first use; nil when the store prepares nothing or the bound is
// reached (then the query runs unprepared).
func (u *UserStore) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if !u.prepare {
		return nil, nil
	}
	u.stmtMu.Lock()
	defer u.stmtMu.Unlock()
	if u.closed {
		return nil, errors.New("store is closed")
	}
	if st, ok := u.stmts[query]; ok {
		return st, nil
	}
	if len(u.stmts) >= maxPreparedLookups {
		return nil, nil
	}
	st, err := u.c.reader().PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	u.stmts[query] = st
	return st, nil
}

func (u *UserStore) hash(password string) (string, error) {
	if len(password) > passwords.MaxPasswordBytes {
		return "", fmt.Errorf("sql user store: password longer than %d bytes", passwords.MaxPasswordBytes)
	}
	return u.s.Hasher.Hash(password)
}

// update sets one column of the rows where key = keyValue; no row is
// sdk.ErrUserNotFound.
func (u *UserStore) update(ctx context.Context, op, col string, value any, key string, keyValue any) error {
	q := u.c.d.Quote
	cctx, cancel := u.c.ctx(ctx)
	defer cancel()
	res, err := u.c.exec(cctx, u.c.d.Rebind("UPDATE "+q(u.s.Table)+" SET "+q(col)+" = ? WHERE "+q(key)+" = ?"), value, keyValue)
	if err != nil {
		return u.c.unavailable(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return u.c.unavailable(op, err)
	}
	if n == 0 {
		// MySQL counts only changed rows: an unchanged value (SetActive to
		// what it is) is no proof the user is missing.
		if _, err := u.LookupUser(ctx, key2field(u.s, key), fmt.Sprint(keyValue)); err == nil {
			return nil
		}
		return sdk.ErrUserNotFound
	}
	return nil
}

// key2field names the logical field of a key column for LookupUser.
func key2field(s UserSchema, col string) string {
	if col == s.ID {
		return "id"
	}
	return "username"
}

func (u *UserStore) query(ctx context.Context, query string, arg any) ([]sdk.User, error) {
	cctx, cancel := u.c.ctx(ctx)
	defer cancel()
	users, err := u.queryOnce(cctx, query, arg)
	if err != nil && cctx.Err() == nil && u.c.d.IsRetryable(err) {
		users, err = u.queryOnce(cctx, query, arg)
	}
	return users, err
}

// Queryer is what UsersByID reads through: a *sql.DB, *sql.Conn or
// *sql.Tx.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// UsersByID reads the users whose ids are among ids through q (a change
// feed's own connection); ids that cannot be keys are skipped, and ids
// with no row are absent from the result.
func (u *UserStore) UsersByID(ctx context.Context, q Queryer, ids []string) ([]sdk.User, error) {
	args := make([]any, 0, len(ids))
	for _, id := range ids {
		if v, ok := u.s.IDType.arg(u.c.d, id); ok {
			args = append(args, v)
		}
	}
	if len(args) == 0 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, u.c.d.Rebind(u.selectSQL+u.c.d.Quote(u.s.ID)+" IN (?"+strings.Repeat(", ?", len(args)-1)+")"), args...)
	if err != nil {
		return nil, u.c.unavailable("find users", err)
	}
	return u.scan(rows)
}

func (u *UserStore) queryOnce(ctx context.Context, query string, arg any) ([]sdk.User, error) {
	st, err := u.stmt(ctx, query)
	if err != nil {
		return nil, u.c.unavailable("find user", err)
	}
	var rows *sql.Rows
	if st != nil {
		rows, err = st.QueryContext(ctx, arg)
	} else {
		rows, err = u.c.reader().QueryContext(ctx, query, arg)
	}
	if err != nil {
		return nil, u.c.unavailable("find user", err)
	}
	return u.scan(rows)
}

// scan reads rows of u.cols into users, and closes rows.
func (u *UserStore) scan(rows *sql.Rows) ([]sdk.User, error) {
	defer rows.Close()
	var users []sdk.User
	for rows.Next() {
		vals := make([]any, len(u.cols))
		ptrs := make([]any, len(u.cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, u.c.unavailable("read user", err)
		}
		user, err := u.toUser(vals)
		if err != nil {
			return nil, err
		}
		users = append(users, user)
	}
	if err := rows.Err(); err != nil {
		return nil, u.c.unavailable("read user", err)
	}
	return users, nil
}

// toUser converts one scanned row (in u.cols order) to an sdk.User.
func (u *UserStore) toUser(vals []any) (sdk.User, error) {
	user := sdk.User{
		ID:           u.s.IDType.canonical(vals[0]),
		Username:     asText(vals[1]),
		PasswordHash: asText(vals[2]),
		IsActive:     asBool(vals[3]),
		LastLogin:    asTime(vals[4]),
	}
	i := 5
	if u.s.Attributes != "" {
		if raw := asText(vals[i]); raw != "" {
			if err := json.Unmarshal([]byte(raw), &user.Attributes); err != nil {
				return sdk.User{}, fmt.Errorf("sql user store: user %s: attributes are not a JSON object: %v", user.ID, err)
			}
		}
		i++
	}
	for _, col := range u.s.AttrCols {
		if user.Attributes == nil {
			user.Attributes = map[string]any{}
		}
		user.Attributes[col] = u.attrValue(col, vals[i])
		i++
	}
	return user, nil
}

// attrValue makes a column value JSON-compatible: text for bytes, a
// boolean for a boolean column, RFC 3339 for a timestamp.
func (u *UserStore) attrValue(col string, v any) any {
	if u.isBool[col] {
		return asBool(v)
	}
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// Interface guards.
var (
	_ sdk.UserStore = (*UserStore)(nil)
	_ sdk.UserAdmin = (*UserStore)(nil)
	_ sdk.Pinger    = (*UserStore)(nil)
	_ io.Closer     = (*UserStore)(nil)
)

// FeedSource returns the store's pool and schema for a dialect's change
// feed (postgres' LISTEN/NOTIFY on the users table).
func (s *UserStore) FeedSource() (*sql.DB, UserSchema) {
	return s.c.db, s.s
}
