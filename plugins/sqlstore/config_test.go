package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/passwords"
)

func TestResolveUserMapping(t *testing.T) {
	yes, no := true, false
	empty := ""
	cases := []struct {
		name    string
		in      UserMapping
		check   func(UserSchema) bool
		wantErr string
	}{
		{"native defaults", UserMapping{}, func(s UserSchema) bool {
			return s.Table == "jwtd_users" && s.Attributes == "attributes" && s.Migrate && s.Rehash &&
				s.Hasher.Algorithm == passwords.AlgArgon2 && s.IDType == IDInteger && s.LoginField == "username"
		}, ""},
		{"django preset", UserMapping{Django: true}, func(s UserSchema) bool {
			return s.Table == "auth_user" && s.Attributes == "" && !s.Migrate && s.Hasher.Algorithm == passwords.AlgPBKDF2SHA256 &&
				len(s.AttrCols) == 6 && s.Hasher.PBKDF2Iterations == 0 // 0: passwords.DefaultPBKDF2Iterations
		}, ""},
		{"django with overrides", UserMapping{Django: true, Table: "accounts_user", IDType: "uuid", LoginField: "email", Hasher: "bcrypt_sha256", RehashOnLogin: &no}, func(s UserSchema) bool {
			return s.Table == "accounts_user" && s.IDType == IDUUID && s.LoginField == "email" && s.Hasher.Algorithm == passwords.AlgBcryptSHA256 && !s.Rehash
		}, ""},
		{"no attributes column", UserMapping{AttributesColumn: &empty}, func(s UserSchema) bool { return s.Attributes == "" }, ""},
		{"django cannot migrate", UserMapping{Django: true, Migrate: &yes}, nil, "never alters"},
		{"attribute columns need migrate false", UserMapping{AttributeColumns: []string{"email"}}, nil, "migrate = false"},
		{"mapped twice", UserMapping{Migrate: &no, AttributeColumns: []string{"username"}}, nil, "already mapped"},
		{"bad identifier", UserMapping{IDColumn: "id\"; --"}, nil, "plain SQL identifier"},
		{"password as login", UserMapping{LoginField: "password"}, nil, "login_field"},
		{"unknown hasher", UserMapping{Hasher: "crypt"}, nil, "hasher"},
		{"iterations out of range", UserMapping{Django: true, PBKDF2Iterations: -5}, nil, "pbkdf2_iterations"},
		// 16 is within bcrypt's own range but above what a check accepts:
		// the store would write hashes it then refuses.
		{"bcrypt rounds above the check's limit", UserMapping{Hasher: "bcrypt_sha256", BcryptRounds: 16}, nil, "bcrypt_rounds"},
		{"unknown id type", UserMapping{IDType: "bigint"}, nil, "id_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ResolveUserMapping(tc.in)
			if tc.wantErr != "" {
				if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v; want ErrInvalidConfig mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(s) {
				t.Fatalf("ResolveUserMapping = %+v, %v", s, err)
			}
		})
	}
}

// hexUUID stores UUIDs as Django's char(32), to check the conversions.
type hexUUID struct{ Dialect }

func (hexUUID) UUIDArg(c string) any { return strings.ReplaceAll(c, "-", "") }

func TestIDTypes(t *testing.T) {
	d := hexUUID{}
	const canon = "0f8fad5b-d9cb-469f-a165-70867728950e"
	cases := []struct {
		t      IDType
		in     string
		ok     bool
		arg    any
		stored any
		back   string
	}{
		{IDInteger, "42", true, int64(42), int64(42), "42"},
		{IDInteger, "4x2", false, nil, nil, ""},
		{IDInteger, "", false, nil, nil, ""},
		{IDUUID, canon, true, "0f8fad5bd9cb469fa16570867728950e", []byte("0f8fad5bd9cb469fa16570867728950e"), canon},
		{IDUUID, strings.ToUpper(canon), true, "0f8fad5bd9cb469fa16570867728950e", canon, canon},
		{IDUUID, "42", false, nil, nil, ""},
	}
	for _, tc := range cases {
		arg, ok := tc.t.arg(d, tc.in)
		if ok != tc.ok || (ok && arg != tc.arg) {
			t.Errorf("%s.arg(%q) = %v, %v; want %v, %v", tc.t, tc.in, arg, ok, tc.arg, tc.ok)
		}
		if tc.stored != nil {
			if got := tc.t.canonical(tc.stored); got != tc.back {
				t.Errorf("%s.canonical(%v) = %q, want %q", tc.t, tc.stored, got, tc.back)
			}
		}
	}
}

func TestValueConversions(t *testing.T) {
	for _, tc := range []struct {
		v    any
		text string
		b    bool
	}{
		{[]byte("1"), "1", true}, {int64(0), "0", false}, {"t", "t", true}, {nil, "", false}, {true, "true", true},
	} {
		if asText(tc.v) != tc.text || asBool(tc.v) != tc.b {
			t.Errorf("asText/asBool(%#v) = %q/%v", tc.v, asText(tc.v), asBool(tc.v))
		}
	}
	if got := asTime([]byte("2026-01-02 03:04:05.123456")); got.Format("2006-01-02T15:04:05.000000Z07:00") != "2026-01-02T03:04:05.123456Z" {
		t.Errorf("asTime(Django text) = %v", got)
	}
}

func TestCheckBlacklistKeys(t *testing.T) {
	cases := []struct {
		name    string
		sweep   string
		django  bool
		tables  DjangoTables
		want    time.Duration
		wantErr string
	}{
		{"defaults", "", false, DjangoTables{}, DefaultSweepInterval, ""},
		{"disabled", "0", false, DjangoTables{}, 0, ""},
		{"custom", "15m", true, DjangoTables{UserTable: "accounts_user"}, 15 * time.Minute, ""},
		{"negative", "-1h", false, DjangoTables{}, 0, "sweep_interval"},
		{"not a duration", "hourly", false, DjangoTables{}, 0, "sweep_interval"},
		{"table keys without django", "", false, DjangoTables{OutstandingTable: "x"}, 0, "need django = true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckBlacklistKeys("sqlite", tc.sweep, tc.django, tc.tables)
			if tc.wantErr != "" {
				if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "sqlite blacklist") {
					t.Fatalf("err = %v; want ErrInvalidConfig naming sqlite blacklist and %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("CheckBlacklistKeys = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
