package f2bdb

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
)

const (
	detected = `CAST('{"matches": [["", "2026-11-27 02:42:29", " auth failure from 192.0.2.1"], "2026-11-27 02:42:30 auth failure from 192.0.2.1"], "failures": 2, "ip4": "192.0.2.1"}' AS BLOB)`
	manual   = `CAST('{"matches": [], "failures": 0}' AS BLOB)`
)

// The same history in each layout: 192.0.2.1 banned twice in j1, the
// second time after detection; 192.0.2.2 once by hand in j2.
func TestLayouts(t *testing.T) {
	v4 := []string{schemaV4,
		`INSERT INTO bans VALUES('j1', '192.0.2.1', 1000, 600, 1, ` + manual + `)`,
		`INSERT INTO bans VALUES('j2', '192.0.2.2', 1500, -1, 1, ` + manual + `)`,
		`INSERT INTO bans VALUES('j1', '192.0.2.1', 2000, 1200, 2, ` + detected + `)`,
		`INSERT OR REPLACE INTO bips SELECT ip, jail, timeofban, bantime, bancount, data FROM bans ORDER BY rowid`,
	}
	v3 := []string{schemaV3,
		`INSERT INTO bans VALUES('j1', '192.0.2.1', 1000, 600, 1, ` + manual + `)`,
		`INSERT INTO bans VALUES('j2', '192.0.2.2', 1500, -1, 1, ` + manual + `)`,
		`INSERT INTO bans VALUES('j1', '192.0.2.1', 2000, 1200, 2, ` + detected + `)`,
	}
	v2 := []string{schemaV2, // 0.10 wrote text, not a BLOB
		`INSERT INTO bans VALUES('j1', '192.0.2.1', 1000, '{"matches": [], "failures": 0}')`,
		`INSERT INTO bans VALUES('j2', '192.0.2.2', 1500, '{"matches": [], "failures": 0}')`,
		`INSERT INTO bans VALUES('j1', '192.0.2.1', 2000, CAST(` + detected + ` AS TEXT))`,
	}
	lines := []string{"2026-11-27 02:42:29 auth failure from 192.0.2.1", "2026-11-27 02:42:30 auth failure from 192.0.2.1"}
	for _, tt := range []struct {
		name     string
		stmts    []string
		banTime1 time.Duration // of the second ban of 192.0.2.1
		banTime2 time.Duration // of 192.0.2.2
		count    int
	}{
		{"v4", v4, 1200 * time.Second, -time.Second, 2},
		{"v3", v3, 1200 * time.Second, -time.Second, 2},
		{"v2", v2, -2 * time.Second, -2 * time.Second, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := openT(t, makeDB(t, tt.stmts...))
			ctx := context.Background()
			cur, err := db.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []BanRecord{
				{Jail: "j1", IP: "192.0.2.1", TimeOfBan: time.Unix(2000, 0), BanTime: tt.banTime1, BanCount: tt.count,
					Failures: 2, Matches: lines, Extra: map[string]string{"ip4": "192.0.2.1"}, RowID: 3},
				{Jail: "j2", IP: "192.0.2.2", TimeOfBan: time.Unix(1500, 0), BanTime: tt.banTime2, BanCount: 1, RowID: 2},
			}
			if !reflect.DeepEqual(cur, want) {
				t.Fatalf("Current:\n%+v\nwant\n%+v", cur, want)
			}
			f, err := db.Failures(ctx)
			if err != nil || !reflect.DeepEqual(f, map[string]int{"j1|192.0.2.1": 2, "j2|192.0.2.2": 0}) {
				t.Fatalf("Failures: %v %v", f, err)
			}
			bans, err := db.Bans(ctx, "", 0, 0)
			if err != nil || len(bans) != 3 || bans[0].RowID != 1 || bans[2].RowID != 3 || bans[0].Failures != 0 ||
				!reflect.DeepEqual(bans[2].Matches, lines) {
				t.Fatalf("Bans: %+v %v", bans, err)
			}
		})
	}
}

// Rows fail2ban would not write but a damaged or hand-edited file holds.
func TestOddRows(t *testing.T) {
	big := fmt.Sprintf(`CAST('{"failures": 1, "x": "' || printf('%%.%dc', 'a') || '"}' AS BLOB)`, MaxDataBytes)
	db := openT(t, makeDB(t, schemaV4,
		`INSERT INTO bips VALUES('192.0.2.1', 'null data', 1, 600, 1, NULL)`,
		`INSERT INTO bips VALUES('192.0.2.2', 'text data', 1, 600, 1, '{"failures": 3}')`,
		`INSERT INTO bips VALUES('192.0.2.3', 'real numbers', 1000.6, 600.4, 2.0, X'7b226661696c75726573223a20342e307d')`,
		`INSERT INTO bips VALUES('192.0.2.4', 'garbage', 1, 600, 1, X'00ff')`,
		`INSERT INTO bips VALUES('192.0.2.5', 'huge', 1, 600, 1, `+big+`)`,
		`INSERT INTO bips VALUES('192.0.2.6', 'text numbers', '7', '60', '3', NULL)`,
		`INSERT INTO bips VALUES('192.0.2.7', 'unknown bantime', 1, -2, 1, NULL)`,
	))
	cur, err := db.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]BanRecord{}
	for _, r := range cur {
		got[r.Jail] = r
	}
	check := func(jail string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %+v", jail, got[jail])
		}
	}
	check("null data", got["null data"].Failures == 0 && got["null data"].DataErr == nil)
	check("text data", got["text data"].Failures == 3)
	r := got["real numbers"]
	check("real numbers", r.TimeOfBan.Unix() == 1001 && r.BanTime == 600*time.Second && r.BanCount == 2 && r.Failures == 4)
	check("garbage", got["garbage"].DataErr != nil && got["garbage"].IP == "192.0.2.4" && got["garbage"].BanTime == 600*time.Second)
	check("huge", got["huge"].DataErr != nil && strings.Contains(got["huge"].DataErr.Error(), "more than"))
	r = got["text numbers"]
	check("text numbers", r.TimeOfBan.Unix() == 7 && r.BanTime == time.Minute && r.BanCount == 3)
	r = got["unknown bantime"]
	_, hasEnd := r.End()
	check("unknown bantime", r.BanTime == -2*time.Second && !hasEnd && r.Active(time.Now()))
}

func TestActive(t *testing.T) {
	now := time.Unix(10_000, 0)
	for _, tt := range []struct {
		start   int64
		banTime time.Duration
		want    bool
	}{{9_000, 600 * time.Second, false}, {9_500, 600 * time.Second, true}, {9_400, 600 * time.Second, false}, {0, -time.Second, true}} {
		r := BanRecord{TimeOfBan: time.Unix(tt.start, 0), BanTime: tt.banTime}
		if got := r.Active(now); got != tt.want {
			t.Errorf("%+v: Active = %v", r, got)
		}
	}
}

func TestBansCursorAndLimit(t *testing.T) {
	stmts := []string{schemaV4, "BEGIN"}
	for i := 1; i <= MaxLimit+5; i++ {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO bans VALUES('j%d', '192.0.2.%d', %d, 600, 1, %s)`, i%2, i%250, i, manual))
	}
	db := openT(t, makeDB(t, append(stmts, "COMMIT")...))
	ctx := context.Background()
	rowIDs := func(recs []BanRecord) []int64 {
		var ids []int64
		for _, r := range recs {
			ids = append(ids, r.RowID)
		}
		return ids
	}
	got, err := db.Bans(ctx, "", 10, 5)
	if err != nil || !reflect.DeepEqual(rowIDs(got), []int64{11, 12, 13, 14, 15}) {
		t.Fatalf("after 10, limit 5: %v %v", rowIDs(got), err)
	}
	got, err = db.Bans(ctx, "j1", 10, 3)
	if err != nil || !reflect.DeepEqual(rowIDs(got), []int64{11, 13, 15}) || got[0].Jail != "j1" {
		t.Fatalf("j1 after 10: %v %v", rowIDs(got), err)
	}
	for _, limit := range []int{0, -1, MaxLimit + 1} {
		got, err = db.Bans(ctx, "", 0, limit)
		if err != nil || len(got) != MaxLimit || got[MaxLimit-1].RowID != MaxLimit {
			t.Fatalf("limit %d: %d rows %v", limit, len(got), err)
		}
	}
	got, err = db.Bans(ctx, "", MaxLimit+5, 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("after the last: %v %v", got, err)
	}
	if n, err := db.LastRowID(ctx); err != nil || n != MaxLimit+5 {
		t.Fatalf("LastRowID = %d %v", n, err)
	}
	if n, err := openT(t, makeDB(t, schemaV4)).LastRowID(ctx); err != nil || n != 0 {
		t.Fatalf("LastRowID of an empty table = %d %v", n, err)
	}
}

// A read waits (busy_timeout) while fail2ban writes, and gives up with
// ECANCELED when its ctx ends first.
func TestWaitsForWriter(t *testing.T) {
	path := makeDB(t, schemaV4, `INSERT INTO bips VALUES('192.0.2.1', 'j', 1, 600, 1, '{"failures": 2}')`)
	db := openT(t, path)
	w, err := sql.Open(driverName, rwDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	ctx := context.Background()
	conn, err := w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = db.Failures(short)
	wantCode(t, err, core.ECANCELED)

	done := make(chan error, 1)
	go func() {
		f, err := db.Failures(ctx)
		if err == nil && f["j|192.0.2.1"] != 3 {
			err = fmt.Errorf("read %v before the commit", f)
		}
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if _, err := conn.ExecContext(ctx, `UPDATE bips SET data = '{"failures": 3}'`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
