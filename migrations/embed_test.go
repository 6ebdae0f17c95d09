package migrations

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

var nameRE = regexp.MustCompile(`^[0-9]{4}_[a-z0-9][a-z0-9_]*\.sql$`)

// TestFSNames checks that every embedded file follows the NNNN_name.sql
// convention and is not empty, so the store never meets a bad name at run time.
func TestFSNames(t *testing.T) {
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no migrations embedded")
	}
	if entries[0].Name() != "0001_init.sql" {
		t.Errorf("first migration = %q, want 0001_init.sql", entries[0].Name())
	}
	for _, e := range entries {
		if !nameRE.MatchString(e.Name()) {
			t.Errorf("%s: name does not match NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(FS, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(b)) == "" {
			t.Errorf("%s: empty", e.Name())
		}
	}
}

// TestNoSecretColumns guards the rule that the cache never stores secrets.
func TestNoSecretColumns(t *testing.T) {
	banned := []string{"password", "passwd", "passphrase", "secret", "private_key", "privkey", "token"}
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(FS, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		var sql strings.Builder
		for _, line := range strings.Split(string(b), "\n") {
			if i := strings.Index(line, "--"); i >= 0 {
				line = line[:i] // comments may mention secrets to forbid them
			}
			sql.WriteString(strings.ToLower(line))
			sql.WriteByte('\n')
		}
		for _, w := range banned {
			if strings.Contains(sql.String(), w) {
				t.Errorf("%s: mentions %q; secrets never go in the cache", e.Name(), w)
			}
		}
	}
}
