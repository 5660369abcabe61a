package sqlite

import (
	"fmt"
	"slices"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/passwords"
)

// UserStoreConfig is the [plugins.user_store.config] table of the SQLite
// user store. Every key is optional except path.
type UserStoreConfig struct {
	// Path is the database file. Required. With migrate (the default for the
	// native table) it is created if absent.
	Path string `json:"path"`

	// Django selects the preset for an existing Django database: table
	// "auth_user", no attributes column, attribute_columns email,
	// first_name, last_name, is_staff, is_superuser and date_joined, and
	// migrate false. Explicit keys still override the preset, except that
	// migrate cannot be true: jwtd never creates or alters Django's table.
	// New users get Django's defaults for the columns Django requires.
	Django bool `json:"django"`

	// Table is the users table. Default "jwtd_users" ("auth_user" with
	// django).
	Table string `json:"table"`
	// IDColumn is the integer primary key. Default "id".
	IDColumn string `json:"id_column"`
	// UsernameColumn is the unique login name. Default "username".
	UsernameColumn string `json:"username_column"`
	// PasswordColumn holds Django-format hashes. Default "password".
	PasswordColumn string `json:"password_column"`
	// IsActiveColumn is a boolean (0/1) column. Default "is_active".
	IsActiveColumn string `json:"is_active_column"`
	// LastLoginColumn is a nullable datetime column, written as
	// "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, the form Django's SQLite backend
	// writes and reads with USE_TZ = True. Default "last_login".
	LastLoginColumn string `json:"last_login_column"`
	// AttributesColumn is a JSON object column holding free-form attributes.
	// Default "attributes" ("" with django); "" means the table has none.
	AttributesColumn *string `json:"attributes_column"`
	// AttributeColumns are further columns of an existing table returned as
	// attributes under their column names (a Django bool column as a JSON
	// boolean, a datetime as RFC 3339 text). Only with migrate false: the
	// native table keeps attributes in its JSON column.
	AttributeColumns []string `json:"attribute_columns"`

	// LoginField is the request field naming the user at obtain, beside
	// "password": "username" (default), or an attribute such as "email".
	LoginField string `json:"login_field"`

	// Migrate creates the native table and applies schema migrations at
	// start. Default true, false with django. With false the table must
	// exist with the configured columns, and it is never altered.
	Migrate *bool `json:"migrate"`

	// BusyTimeout is how long a write waits for another connection's or
	// process's lock, as a Go duration. Default "5s".
	BusyTimeout string `json:"busy_timeout"`

	// Argon2TimeCost, Argon2MemoryCost (KiB) and Argon2Parallelism set the
	// argon2id parameters of new hashes (CreateUser, SetPassword). Defaults
	// are Django's: 2, 102400, 8. Existing hashes keep their own parameters.
	Argon2TimeCost    uint32 `json:"argon2_time_cost"`
	Argon2MemoryCost  uint32 `json:"argon2_memory_cost"`
	Argon2Parallelism uint8  `json:"argon2_parallelism"`
}

// djangoAttributeColumns are auth_user's columns beyond the ones the store
// maps itself.
var djangoAttributeColumns = []string{"email", "first_name", "last_name", "is_staff", "is_superuser", "date_joined"}

// userSchema is a resolved, validated UserStoreConfig.
type userSchema struct {
	table, id, username, password, isActive, lastLogin, attributes string
	attrCols                                                       []string
	loginField                                                     string
	migrate, django                                                bool
	params                                                         passwords.Params
}

func resolveUserConfig(c UserStoreConfig) (userSchema, error) {
	s := userSchema{
		table: "jwtd_users", id: "id", username: "username", password: "password",
		isActive: "is_active", lastLogin: "last_login", attributes: "attributes",
		loginField: "username", migrate: true, django: c.Django,
	}
	if c.Django {
		s.table, s.attributes, s.migrate = "auth_user", "", false
		s.attrCols = djangoAttributeColumns
		if c.Migrate != nil && *c.Migrate {
			return s, fmt.Errorf("%w: sqlite user store: migrate cannot be true with django: jwtd never alters Django's table", sdk.ErrInvalidConfig)
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&s.table, c.Table)
	set(&s.id, c.IDColumn)
	set(&s.username, c.UsernameColumn)
	set(&s.password, c.PasswordColumn)
	set(&s.isActive, c.IsActiveColumn)
	set(&s.lastLogin, c.LastLoginColumn)
	set(&s.loginField, c.LoginField)
	if c.AttributesColumn != nil {
		s.attributes = *c.AttributesColumn
	}
	if c.AttributeColumns != nil {
		s.attrCols = c.AttributeColumns
	}
	if c.Migrate != nil {
		s.migrate = *c.Migrate
	}
	if s.migrate && len(s.attrCols) > 0 {
		return s, fmt.Errorf("%w: sqlite user store: attribute_columns need migrate = false (the native table keeps attributes in its JSON column)", sdk.ErrInvalidConfig)
	}
	for _, kv := range [][2]string{
		{"table", s.table}, {"id_column", s.id}, {"username_column", s.username},
		{"password_column", s.password}, {"is_active_column", s.isActive},
		{"last_login_column", s.lastLogin},
	} {
		if err := checkIdentifier(kv[0], kv[1]); err != nil {
			return s, err
		}
	}
	if s.attributes != "" {
		if err := checkIdentifier("attributes_column", s.attributes); err != nil {
			return s, err
		}
	}
	own := []string{s.id, s.username, s.password, s.isActive, s.lastLogin, s.attributes}
	for _, col := range s.attrCols {
		if err := checkIdentifier("attribute_columns", col); err != nil {
			return s, err
		}
		if slices.Contains(own, col) {
			return s, fmt.Errorf("%w: sqlite user store: attribute_columns: %q is already mapped", sdk.ErrInvalidConfig, col)
		}
	}
	if err := checkIdentifier("login_field", s.loginField); err != nil {
		return s, err
	}
	if s.loginField == "password" {
		return s, fmt.Errorf("%w: sqlite user store: login_field cannot be \"password\"", sdk.ErrInvalidConfig)
	}
	s.params = passwords.Params{Time: c.Argon2TimeCost, MemoryKiB: c.Argon2MemoryCost, Parallelism: c.Argon2Parallelism}
	if err := s.params.Validate(); err != nil {
		return s, fmt.Errorf("%w: sqlite user store: %v", sdk.ErrInvalidConfig, err)
	}
	return s, nil
}
