package djangotest_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/internal/djangotest"
)

func TestStatements(t *testing.T) {
	ddl := "-- header\n\n-- migration a.0001\nCREATE TABLE \"a\" (\"id\" integer);\n--\n" +
		"SET CONSTRAINTS \"x\" IMMEDIATE; ALTER TABLE \"a\" DROP CONSTRAINT \"x\";\n" +
		"CREATE INDEX \"i\"\nON \"a\" (\"id\");\n"
	got := djangotest.Statements(ddl)
	want := []string{`CREATE TABLE "a" ("id" integer)`, `SET CONSTRAINTS "x" IMMEDIATE`, `ALTER TABLE "a" DROP CONSTRAINT "x"`, "CREATE INDEX \"i\"\nON \"a\" (\"id\")"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Statements:\n got %q\nwant %q", got, want)
	}
}

// TestDDL: every fixture is there, starts with Django's header and creates
// the tables jwtd shares; unknown names are errors.
func TestDDL(t *testing.T) {
	creates := map[string][]string{
		"auth":            {"auth_user", "django_content_type"},
		"token_blacklist": {"token_blacklist_outstandingtoken", "token_blacklist_blacklistedtoken"},
	}
	for _, engine := range []djangotest.Engine{djangotest.SQLite, djangotest.Postgres, djangotest.MySQL} {
		for which, tables := range creates {
			ddl, err := djangotest.DDL(engine, which)
			if err != nil {
				t.Fatalf("%s %s: %v", engine, which, err)
			}
			if !strings.HasPrefix(ddl, "-- Django's DDL for "+which) || !strings.Contains(ddl, "-- Django 3.2") {
				t.Errorf("%s %s: no Django header:\n%.200s", engine, which, ddl)
			}
			for _, table := range tables {
				quoted := `"` + table + `"`
				if engine == djangotest.MySQL {
					quoted = "`" + table + "`"
				}
				if !strings.Contains(ddl, "CREATE TABLE "+quoted+" (") {
					t.Errorf("%s %s: no CREATE TABLE %s", engine, which, quoted)
				}
			}
			for _, s := range djangotest.Statements(ddl) {
				if s == "BEGIN" || s == "COMMIT" {
					t.Errorf("%s %s: transaction statement %q", engine, which, s)
				}
			}
		}
	}
	if _, err := djangotest.DDL("oracle", "auth"); err == nil {
		t.Error("unknown engine accepted")
	}
	if _, err := djangotest.DDL(djangotest.SQLite, "sessions"); err == nil {
		t.Error("unknown DDL accepted")
	}
}

// update makes TestDDLFixtures write the fixtures (testdata/ddl/generate.sh).
var update = flag.Bool("update", false, "rewrite testdata/ddl from the real Django")

// TestDDLFixtures: on each database, the fixtures are what Django
// generates today (with -update: are rewritten from it), and running them
// on an empty database leaves exactly the tables, columns, constraints and
// indexes `manage.py migrate` creates.
func TestDDLFixtures(t *testing.T) {
	for _, k := range kinds {
		t.Run(string(k.engine), func(t *testing.T) {
			fresh := k.server(t)
			gen := fresh(t, "generated")
			p := djangotest.NewProject(t, djangotest.Options{DB: gen.django, SigningKey: "ddl-test-key"})
			out := t.TempDir()
			if _, err := p.Manage("jwtd_ddl", out); err != nil {
				t.Fatal(err)
			}
			for _, which := range []string{"auth", "token_blacklist"} {
				now, err := os.ReadFile(filepath.Join(out, which+".sql"))
				if err != nil {
					t.Fatal(err)
				}
				if *update {
					if err := os.WriteFile(filepath.Join("testdata", "ddl", string(k.engine), which+".sql"), now, 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("wrote testdata/ddl/%s/%s.sql", k.engine, which)
					continue
				}
				kept, err := djangotest.DDL(k.engine, which)
				if err != nil {
					t.Fatal(err)
				}
				if withoutVersions(string(now)) != withoutVersions(kept) {
					t.Errorf("testdata/ddl/%s/%s.sql differs from what Django generates now; run testdata/ddl/generate.sh %s\n--- Django now:\n%s", k.engine, which, k.engine, now)
				}
			}

			fromFixtures := fresh(t, "fixtures")
			applyDDL(t, k.engine, fromFixtures.db)
			migrated := fresh(t, "migrated")
			p = djangotest.NewProject(t, djangotest.Options{DB: migrated.django, SigningKey: "ddl-test-key"})
			if _, err := p.Manage("migrate", "--no-input"); err != nil {
				t.Fatal(err)
			}
			got, want := k.schema(t, fromFixtures.db), k.schema(t, migrated.db)
			if got != want {
				t.Fatalf("fixture schema differs from manage.py migrate's:\n--- fixtures\n%s--- migrate\n%s", got, want)
			}
			for _, table := range []string{"auth_user", "token_blacklist_outstandingtoken", "token_blacklist_blacklistedtoken"} {
				if !strings.Contains(got, table) {
					t.Fatalf("no %s in the schema:\n%s", table, got)
				}
			}
		})
	}
}

// withoutVersions drops the header line naming Django's and the
// database's versions, which a patch release changes without changing the
// DDL.
func withoutVersions(ddl string) string {
	lines := strings.Split(ddl, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, "-- Django 3.") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// TestServer: the harness's Django serves Simple JWT on tables it created
// (migrate) and on tables made from the fixtures (migrate --fake): a user
// created by Django's create_user obtains a pair, the access token
// authenticates at /api/me/, verify and refresh answer, the blacklist
// endpoint revokes the refresh token, and authenticate() checks passwords.
func TestServer(t *testing.T) {
	for _, tablesExist := range []bool{false, true} {
		name := map[bool]string{false: "migrate", true: "fixture tables"}[tablesExist]
		t.Run(name, func(t *testing.T) {
			db := kinds[0].server(t)(t, "db")
			if tablesExist {
				applyDDL(t, djangotest.SQLite, db.db)
			}
			s := djangotest.Start(t, djangotest.Options{
				DB:          db.django,
				SigningKey:  "harness-test-signing-key-0123456789abcdef",
				TablesExist: tablesExist,
			})
			created := djangotest.Post(t, s.URL+"/django/users/", map[string]string{"username": "ann", "password": "ann-pass-1"})
			if created.Status != 200 || !strings.HasPrefix(created.Str("password"), "pbkdf2_sha256$260000$") {
				t.Fatalf("create_user: %v", created)
			}
			if r := djangotest.Post(t, s.URL+"/django/login/", map[string]string{"username": "ann", "password": "ann-pass-1"}); r.Status != 200 || r.Str("username") != "ann" {
				t.Fatalf("authenticate(): %v", r)
			}
			if r := djangotest.Post(t, s.URL+"/django/login/", map[string]string{"username": "ann", "password": "wrong"}); r.Status != 401 {
				t.Fatalf("authenticate() with a wrong password: %v", r)
			}
			pair := djangotest.Post(t, s.URL+"/api/token/", map[string]string{"username": "ann", "password": "ann-pass-1"})
			if pair.Status != 200 || pair.Str("access") == "" || pair.Str("refresh") == "" {
				t.Fatalf("obtain: %v", pair)
			}
			if me := djangotest.Call(t, "GET", s.URL+"/api/me/", pair.Str("access"), nil); me.Status != 200 || me.Str("username") != "ann" {
				t.Fatalf("/api/me/: %v", me)
			}
			if me := djangotest.Call(t, "GET", s.URL+"/api/me/", pair.Str("refresh"), nil); me.Status != 401 {
				t.Fatalf("/api/me/ with a refresh token: %v", me)
			}
			if r := djangotest.Post(t, s.URL+"/api/token/verify/", map[string]string{"token": pair.Str("access")}); r.Status != 200 {
				t.Fatalf("verify: %v", r)
			}
			if r := djangotest.Post(t, s.URL+"/api/token/refresh/", map[string]string{"refresh": pair.Str("refresh")}); r.Status != 200 || r.Str("access") == "" {
				t.Fatalf("refresh: %v", r)
			}
			if r := djangotest.Post(t, s.URL+"/api/token/blacklist/", map[string]string{"refresh": pair.Str("refresh")}); r.Status != 200 {
				t.Fatalf("blacklist: %v", r)
			}
			if r := djangotest.Post(t, s.URL+"/api/token/refresh/", map[string]string{"refresh": pair.Str("refresh")}); r.Status != 401 || r.Str("detail") != "Token is blacklisted" {
				t.Fatalf("refresh after blacklist: %v", r)
			}
			if r := djangotest.Post(t, s.URL+"/django/password/", map[string]string{"username": "ann", "password": "ann-pass-2"}); r.Status != 200 {
				t.Fatalf("set_password: %v", r)
			}
			if r := djangotest.Post(t, s.URL+"/django/login/", map[string]string{"username": "ann", "password": "ann-pass-1"}); r.Status != 401 {
				t.Fatalf("old password after set_password: %v", r)
			}
		})
	}
}
