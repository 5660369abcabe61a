package sqlstore

import (
	"fmt"
	"slices"

	"github.com/jwtd/jwtd/passwords"
	"github.com/jwtd/jwtd/sdk"
)

// UserStoreConfig is the [plugins.user_store.config] table of the SQL user
// stores. Every key is optional except the DSN.
type UserStoreConfig struct {
	ConnConfig

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
	// "password": "username" (default), or an attribute such as "email"
	// (Django projects whose USERNAME_FIELD is email).
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
	// BcryptRounds of new bcrypt_sha256 hashes. Default 12, as Django.
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

// userSchema is a resolved, validated UserStoreConfig.
type userSchema struct {
	table, id, username, password, isActive, lastLogin, attributes string
	idType                                                         IDType
	attrCols                                                       []string
	loginField                                                     string
	migrate, django, rehash                                        bool
	hasher                                                         passwords.Hasher
}

func resolveUserConfig(c UserStoreConfig) (userSchema, error) {
	s := userSchema{
		table: "jwtd_users", id: "id", username: "username", password: "password",
		isActive: "is_active", lastLogin: "last_login", attributes: "attributes",
		loginField: "username", migrate: true, django: c.Django, rehash: true,
		hasher: passwords.Hasher{Algorithm: passwords.AlgArgon2},
	}
	if c.Django {
		s.table, s.attributes, s.migrate = "auth_user", "", false
		s.attrCols = djangoAttributeColumns
		s.hasher.Algorithm = passwords.AlgPBKDF2SHA256
		if c.Migrate != nil && *c.Migrate {
			return s, fmt.Errorf("%w: migrate cannot be true with django: jwtd never alters Django's table", sdk.ErrInvalidConfig)
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
	set(&s.hasher.Algorithm, c.Hasher)
	if c.AttributesColumn != nil {
		s.attributes = *c.AttributesColumn
	}
	if c.AttributeColumns != nil {
		s.attrCols = c.AttributeColumns
	}
	if c.Migrate != nil {
		s.migrate = *c.Migrate
	}
	if c.RehashOnLogin != nil {
		s.rehash = *c.RehashOnLogin
	}
	var err error
	if s.idType, err = parseIDType(c.IDType); err != nil {
		return s, err
	}
	if s.migrate && len(s.attrCols) > 0 {
		return s, fmt.Errorf("%w: attribute_columns need migrate = false (the native table keeps attributes in its JSON column)", sdk.ErrInvalidConfig)
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
			return s, fmt.Errorf("%w: attribute_columns: %q is already mapped", sdk.ErrInvalidConfig, col)
		}
	}
	if err := checkIdentifier("login_field", s.loginField); err != nil {
		return s, err
	}
	if s.loginField == "password" {
		return s, fmt.Errorf("%w: login_field cannot be \"password\"", sdk.ErrInvalidConfig)
	}
	s.hasher.PBKDF2Iterations = c.PBKDF2Iterations
	s.hasher.BcryptRounds = c.BcryptRounds
	s.hasher.Argon2 = passwords.Params{Time: c.Argon2TimeCost, MemoryKiB: c.Argon2MemoryCost, Parallelism: c.Argon2Parallelism}
	if err := s.hasher.Validate(); err != nil {
		return s, fmt.Errorf("%w: hasher: %v", sdk.ErrInvalidConfig, err)
	}
	return s, nil
}
