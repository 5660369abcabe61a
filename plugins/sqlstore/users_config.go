package sqlstore

import (
	"fmt"
	"slices"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/passwords"
)

// UserStoreConfig is the [plugins.user_store.config] table of the SQL user
// stores. Every key is optional except the DSN.
type UserStoreConfig struct {
	ConnConfig
	UserMapping
}

// UserMapping are the keys that map a users table and say how passwords
// are written: shared by every SQL user store, SQLite's included.
type UserMapping struct {
	// Django selects the preset for an existing Django database: table
	// "auth_user", no attributes column, attribute_columns email,
	// first_name, last_name, is_staff, is_superuser and date_joined,
	// migrate false, and hasher pbkdf2_sha256. Explicit keys still
	// override the preset, except that migrate cannot be true: jwtd never
	// creates or alters Django's table. New users get Django's defaults for
	// the columns Django requires.
	Django bool `json:"django"`

	// Table is the users table. Default "jwtd_users" ("auth_user" with
	// django).
	Table string `json:"table"`
	// IDColumn is the primary key. Default "id".
	IDColumn string `json:"id_column"`
	// IDType is the primary key's type: "integer" (default; an
	// auto-increment key) or "uuid" (a Django UUIDField: native uuid on
	// PostgreSQL, char(32) on MySQL; new users get a random UUID).
	IDType string `json:"id_type"`
	// UsernameColumn is the unique login name. Default "username".
	UsernameColumn string `json:"username_column"`
	// PasswordColumn holds Django-format hashes. Default "password".
	PasswordColumn string `json:"password_column"`
	// IsActiveColumn is a boolean column. Default "is_active".
	IsActiveColumn string `json:"is_active_column"`
	// LastLoginColumn is a nullable timestamp column. Default
	// "last_login".
	LastLoginColumn string `json:"last_login_column"`
	// AttributesColumn is a JSON object column holding free-form
	// attributes. Default "attributes" ("" with django); "" means the table
	// has none.
	AttributesColumn *string `json:"attributes_column"`
	// AttributeColumns are further columns of an existing table returned
	// as attributes under their column names. Only with migrate false.
	AttributeColumns []string `json:"attribute_columns"`

	// LoginField is the request field naming the user at obtain, beside
	// "password": "username" (default), the username column's own name,
	// or an attribute such as "email" (Django projects whose
	// USERNAME_FIELD is email, with or without a username column).
	LoginField string `json:"login_field"`

	// Migrate creates jwtd's own table and applies its versioned schema
	// migrations at start. Default true, false with django. With false the
	// table must exist with the configured columns; it is never altered.
	Migrate *bool `json:"migrate"`

	// Hasher is the algorithm of new and changed passwords:
	// "pbkdf2_sha256" (Django's default, checked by every Django),
	// "argon2" (argon2id; Django needs argon2-cffi) or "bcrypt_sha256"
	// (Django needs bcrypt). Default "pbkdf2_sha256" with django, "argon2"
	// otherwise.
	Hasher string `json:"hasher"`
	// PBKDF2Iterations of new pbkdf2_sha256 hashes. Default: the current
	// Django release's (passwords.DefaultPBKDF2Iterations).
	PBKDF2Iterations int `json:"pbkdf2_iterations"`
	// BcryptRounds of new bcrypt_sha256 hashes (log2 cost, 4 to 15: the
	// highest cost a stored hash may ask of a check). Default 12, as
	// Django.
	BcryptRounds int `json:"bcrypt_rounds"`
	// Argon2TimeCost, Argon2MemoryCost (KiB) and Argon2Parallelism set the
	// argon2id parameters of new hashes. Defaults are Django's: 2, 102400,
	// 8.
	Argon2TimeCost    uint32 `json:"argon2_time_cost"`
	Argon2MemoryCost  uint32 `json:"argon2_memory_cost"`
	Argon2Parallelism uint8  `json:"argon2_parallelism"`
	// RehashOnLogin rewrites a stored hash after a successful login when
	// it uses another algorithm than hasher or less work (fewer
	// iterations), as Django's check_password does. Default true. The new
	// hash changes the revoke claim (check_revoke_token), as it does in
	// Django.
	RehashOnLogin *bool `json:"rehash_on_login"`
}

// djangoAttributeColumns are auth_user's columns beyond the ones the store
// maps itself.
var djangoAttributeColumns = []string{"email", "first_name", "last_name", "is_staff", "is_superuser", "date_joined"}

// UserSchema is a resolved, validated UserMapping.
type UserSchema struct {
	// Table and the column names.
	Table, ID, Username, Password, IsActive, LastLogin, Attributes string
	// IDType is the primary key's type.
	IDType IDType
	// AttrCols are the attribute columns.
	AttrCols []string
	// LoginField is the obtain request's user field.
	LoginField string
	// Migrate, Django and Rehash (rehash_on_login) as configured.
	Migrate, Django, Rehash bool
	// Hasher writes new and changed passwords.
	Hasher passwords.Hasher
}

// ResolveUserMapping applies the defaults and the django preset to c and
// validates the result; its errors wrap sdk.ErrInvalidConfig.
func ResolveUserMapping(c UserMapping) (UserSchema, error) {
	s := UserSchema{
		Table: "jwtd_users", ID: "id", Username: "username", Password: "password",
		IsActive: "is_active", LastLogin: "last_login", Attributes: "attributes",
		LoginField: "username", Migrate: true, Django: c.Django, Rehash: true,
		Hasher: passwords.Hasher{Algorithm: passwords.AlgArgon2},
	}
	if c.Django {
		s.Table, s.Attributes, s.Migrate = "auth_user", "", false
		s.AttrCols = djangoAttributeColumns
		s.Hasher.Algorithm = passwords.AlgPBKDF2SHA256
		if c.Migrate != nil && *c.Migrate {
			return s, fmt.Errorf("%w: migrate cannot be true with django: jwtd never alters Django's table", sdk.ErrInvalidConfig)
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&s.Table, c.Table)
	set(&s.ID, c.IDColumn)
	set(&s.Username, c.UsernameColumn)
	set(&s.Password, c.PasswordColumn)
	set(&s.IsActive, c.IsActiveColumn)
	set(&s.LastLogin, c.LastLoginColumn)
	set(&s.LoginField, c.LoginField)
	set(&s.Hasher.Algorithm, c.Hasher)
	if c.AttributesColumn != nil {
		s.Attributes = *c.AttributesColumn
	}
	if c.AttributeColumns != nil {
		s.AttrCols = c.AttributeColumns
	}
	if c.Migrate != nil {
		s.Migrate = *c.Migrate
	}
	if c.RehashOnLogin != nil {
		s.Rehash = *c.RehashOnLogin
	}
	var err error
	if s.IDType, err = parseIDType(c.IDType); err != nil {
		return s, err
	}
	if s.Migrate && len(s.AttrCols) > 0 {
		return s, fmt.Errorf("%w: attribute_columns need migrate = false (the native table keeps attributes in its JSON column)", sdk.ErrInvalidConfig)
	}
	for _, kv := range [][2]string{
		{"table", s.Table}, {"id_column", s.ID}, {"username_column", s.Username},
		{"password_column", s.Password}, {"is_active_column", s.IsActive},
		{"last_login_column", s.LastLogin},
	} {
		if err := checkIdentifier(kv[0], kv[1]); err != nil {
			return s, err
		}
	}
	if s.Attributes != "" {
		if err := checkIdentifier("attributes_column", s.Attributes); err != nil {
			return s, err
		}
	}
	own := []string{s.ID, s.Username, s.Password, s.IsActive, s.LastLogin, s.Attributes}
	for _, col := range s.AttrCols {
		if err := checkIdentifier("attribute_columns", col); err != nil {
			return s, err
		}
		if slices.Contains(own, col) {
			return s, fmt.Errorf("%w: attribute_columns: %q is already mapped", sdk.ErrInvalidConfig, col)
		}
	}
	if err := checkIdentifier("login_field", s.LoginField); err != nil {
		return s, err
	}
	if s.LoginField == "password" {
		return s, fmt.Errorf("%w: login_field cannot be \"password\"", sdk.ErrInvalidConfig)
	}
	s.Hasher.PBKDF2Iterations = c.PBKDF2Iterations
	s.Hasher.BcryptRounds = c.BcryptRounds
	s.Hasher.Argon2 = passwords.Params{Time: c.Argon2TimeCost, MemoryKiB: c.Argon2MemoryCost, Parallelism: c.Argon2Parallelism}
	if err := s.Hasher.Validate(); err != nil {
		// Name the key that holds the refused setting: the algorithm's
		// cost key, or hasher itself for an unknown algorithm.
		key := map[string]string{
			passwords.AlgPBKDF2SHA256: "pbkdf2_iterations",
			passwords.AlgBcryptSHA256: "bcrypt_rounds",
			passwords.AlgArgon2:       "argon2_time_cost, argon2_memory_cost, argon2_parallelism",
		}[s.Hasher.Algorithm]
		if key == "" {
			key = "hasher"
		}
		return s, fmt.Errorf("%w: %s: %v", sdk.ErrInvalidConfig, key, err)
	}
	return s, nil
}
