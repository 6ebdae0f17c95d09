package f2bdb

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkBans reads MaxLimit history rows shaped like fail2ban's (two
// matches each): the statement part is what holds fail2ban's writes back.
func BenchmarkBans(b *testing.B) {
	stmts := []string{schemaV4, "BEGIN"}
	for i := 1; i <= MaxLimit; i++ {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO bans VALUES('j', '192.0.2.%d', %d, 600, 1, %s)`, i%250, i, detected))
	}
	db := openT(b, makeDB(b, append(stmts, "COMMIT")...))
	ctx := context.Background()
	b.Run("statement", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.query(ctx, "bench", db.rowSQL("bans", false)+" WHERE rowid > 0 ORDER BY rowid LIMIT 10000"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoded", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Bans(ctx, "", 0, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}
