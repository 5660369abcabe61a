package httpapi_test

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/jwtd/jwtd/internal/djangotest"
)

// TestDjangoDatabase: jwtd pointed at a Django db.sqlite3 lets Django's
// users (hashes as Django wrote them) obtain tokens over HTTP, authenticate
// with them, and records last_login where Django reads it.
func TestDjangoDatabase(t *testing.T) {
	var fixture struct {
		Users []struct{ Username, Password, Encoded string } `json:"users"`
	}
	data, err := os.ReadFile(filepath.Join("testdata", "django_users.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &fixture); err != nil || len(fixture.Users) < 3 {
		t.Fatalf("fixture: %v (%d users)", err, len(fixture.Users))
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "db.sqlite3")
	db, err := sql.Open("sqlite3", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	// auth_user as Django 3.2's migrations create it on SQLite.
	ddl, err := djangotest.DDL(djangotest.SQLite, "auth")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ddl); err != nil {
		t.Fatal(err)
	}
	for _, u := range fixture.Users {
		if _, err := db.Exec(`INSERT INTO auth_user (password, last_login, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name)
			VALUES (?, NULL, 0, ?, 'Doe', ?, 0, 1, '2024-01-02 03:04:05', 'Jo')`, u.Encoded, u.Username, u.Username+"@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	toml := "[tokens]\nsigning_key = \"" + testSecret + "\"\nupdate_last_login = true\n" + `
[plugins.user_store]
use = "sqlite"
[plugins.user_store.config]
path = "` + dbPath + `"
django = true
`
	e := newEnvWithUsers(t, toml, false)
	for _, u := range fixture.Users {
		t.Run(u.Username, func(t *testing.T) {
			e.t = t
			body := e.mustOK(jsonPost(obtainPath, `{"username": "`+u.Username+`", "password": "`+u.Password+`"}`))
			var pair map[string]string
			json.Unmarshal(body, &pair)
			var user map[string]any
			json.Unmarshal(e.mustOK(bearer(authPath, "Bearer "+pair["access"])), &user)
			if user["username"] != u.Username || user["email"] != u.Username+"@example.com" || user["password"] != nil {
				t.Errorf("authenticate: %v", user)
			}
			resp, _ := e.do(jsonPost(obtainPath, `{"username": "`+u.Username+`", "password": "wrong"}`))
			if resp.StatusCode != 401 {
				t.Errorf("wrong password: %d", resp.StatusCode)
			}
		})
	}
	db, err = sql.Open("sqlite3", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var missing int
	if err := db.QueryRow(`SELECT count(*) FROM auth_user WHERE last_login IS NULL`).Scan(&missing); err != nil || missing != 0 {
		t.Errorf("last_login not recorded for %d users (%v)", missing, err)
	}
}
