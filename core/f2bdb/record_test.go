package f2bdb

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/bangui/bangui/core/f2bdb/gen"
)

// rawRecords reads q's rows (columns as rowSQL gives them) without
// decoding them, the way a script on another host hands them over, and
// builds the records with Record.
func rawRecords(t *testing.T, db *DB, q string, args ...any) []BanRecord {
	t.Helper()
	rows, err := db.sql.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []BanRecord
	for rows.Next() {
		var (
			rowID                        int64
			jail, ip                     *string
			timeOfBan, banTime, banCount any
			data                         []byte
			dataLen                      *int64
		)
		if err := rows.Scan(&rowID, &jail, &ip, &timeOfBan, &banTime, &banCount, &data, &dataLen); err != nil {
			t.Fatal(err)
		}
		var j, i string
		var n int64
		if jail != nil {
			j = *jail
		}
		if ip != nil {
			i = *ip
		}
		if dataLen != nil {
			n = *dataLen
		}
		out = append(out, Record(rowID, j, i, timeOfBan, banTime, banCount, data, n))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameRecords compares records field by field (DataErr by its text).
func sameRecords(t *testing.T, what string, got, want []BanRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		ge, we := fmt.Sprint(g.DataErr), fmt.Sprint(w.DataErr)
		g.DataErr, w.DataErr = nil, nil
		if !reflect.DeepEqual(g, w) || ge != we {
			t.Fatalf("%s: record %d\n got %+v (%s)\nwant %+v (%s)", what, i, g, ge, w, we)
		}
	}
}

func TestRecordMatchesQueries(t *testing.T) {
	big := fmt.Sprintf(`CAST('{"failures": 1, "x": "' || printf('%%.%dc', 'a') || '"}' AS BLOB)`, MaxDataBytes)
	odd := []string{
		`('null data', '192.0.2.1', 1, 600, 1, NULL)`,
		`('text data', '192.0.2.2', 2, 600, 1, '{"failures": 3, "matches": ["a", ["b", "c"]], "ip4": "192.0.2.2"}')`,
		`('real numbers', '192.0.2.3', 1000.6, 600.4, 2.0, X'7b226661696c75726573223a20342e307d')`,
		`('garbage', '192.0.2.4', 3, 600, 1, X'00ff')`,
		`('huge', '192.0.2.5', 4, 600, 1, ` + big + `)`,
		`('text numbers', '192.0.2.6', '7', '60', '3', NULL)`,
		`('unknown bantime', '2001:db8::7', 8, -2, 1, '{"matches": [], "failures": 0}')`,
		`('null ip', NULL, 9, 'x', '', 'not json')`,
		`('slow path', '198.51.100.9', 10, 60, 1, '{"failures": 2.5, "matches": ["\u00e9"], "x": [1, 2]}')`,
	}
	stmts := []string{schemaV4}
	for _, v := range odd {
		stmts = append(stmts, `INSERT INTO bans VALUES`+v, `INSERT OR IGNORE INTO bips(jail, ip, timeofban, bantime, bancount, data) VALUES`+v)
	}
	db := openT(t, makeDB(t, stmts...))
	ctx := context.Background()

	for _, r := range rawRecords(t, db, "SELECT jail FROM bans LIMIT 0") {
		t.Fatalf("unexpected %v", r)
	}
	want, err := db.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, "current", rawRecords(t, db, db.currentSQL()), want)
	for _, jail := range []string{"null data", "text data", "real numbers", "garbage", "huge", "text numbers", "unknown bantime", "null ip", "slow path"} {
		want, err := db.BansAfter(ctx, jail, time.Unix(0, 0), -1, 10)
		if err != nil || len(want) != 1 {
			t.Fatalf("%s: %v %v", jail, want, err)
		}
		got := rawRecords(t, db, db.rowSQL("bans", false)+" WHERE jail = ?", jail)
		sameRecords(t, jail, got, want)
	}
}

func TestRecordMatchesGenerated(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gen.sqlite3")
	if err := gen.Generate(ctx, path, gen.Options{N: 3000, Seed: 5}, nil); err != nil {
		t.Fatal(err)
	}
	db := openT(t, path)
	want, err := db.Bans(ctx, "", 0, MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	got := rawRecords(t, db, db.rowSQL("bans", false)+" ORDER BY rowid")
	sameRecords(t, "generated", got, want)
}

func BenchmarkRecord(b *testing.B) {
	data := []byte(`{"matches": [["", "2026-11-27 02:42:29", " sshd[1]: Failed password for root from 203.0.113.5 port 22"], "2026-11-27 02:42:31 sshd[1]: Failed password for root from 203.0.113.5 port 22"], "failures": 2, "ip4": "203.0.113.5"}`)
	b.ReportAllocs()
	for b.Loop() {
		r := Record(1, "sshd", "203.0.113.5", int64(1700000000), int64(600), int64(1), data, int64(len(data)))
		if r.Failures != 2 {
			b.Fatal(r)
		}
	}
}
