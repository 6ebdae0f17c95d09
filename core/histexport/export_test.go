package histexport_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/histexport"
	"github.com/bangui/bangui/core/store"
	"github.com/bangui/bangui/core/store/storetest"
)

func filled(t *testing.T, n int) *store.DB {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t)
	s, err := db.AddServer(ctx, core.Server{Name: "web,1 \"x\"", Kind: core.ServerLocal})
	if err != nil {
		t.Fatal(err)
	}
	var rows []core.HistoryBan
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		o := core.OriginAuto
		if i%7 == 0 {
			o = core.OriginManual
		}
		rows = append(rows, core.HistoryBan{Jail: "sshd", IP: fmt.Sprintf("192.0.2.%d", i%250), TimeOfBan: base.Add(time.Duration(i) * time.Minute),
			BanTime: 10 * time.Minute, BanCount: 1, Failures: 3, Origin: o})
	}
	if _, err := db.StoreBans(ctx, s.ID, rows, nil); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestWriteCSVAndJSON(t *testing.T) {
	db := filled(t, 12_000) // more than two pages
	ctx := context.Background()
	f := core.HistoryFilter{Origin: core.OriginAuto}
	want, _ := db.CountHistory(ctx, f)

	var buf bytes.Buffer
	var calls []int
	n, err := histexport.Write(ctx, db, f, histexport.CSV, &buf, func(done, total int) {
		calls = append(calls, done)
		if total != want {
			t.Errorf("progress total %d, want %d", total, want)
		}
	})
	if err != nil || n != want {
		t.Fatalf("csv: %d rows, %v; want %d", n, err, want)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != want+1 || strings.Join(recs[0], ",") != "time_of_ban,server,jail,ip,ban_seconds,ban_count,failures,origin,source" {
		t.Fatalf("csv has %d records, header %v", len(recs), recs[0])
	}
	if recs[1][1] != `web,1 "x"` || recs[1][4] != "600" || recs[1][7] != "auto" {
		t.Errorf("first row %v", recs[1])
	}
	if len(calls) < 2 || calls[len(calls)-1] != want {
		t.Errorf("progress calls %v", calls)
	}

	buf.Reset()
	n, err = histexport.Write(ctx, db, f, histexport.JSON, &buf, nil)
	if err != nil || n != want {
		t.Fatalf("json: %d, %v", n, err)
	}
	var out []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != want || out[0]["ip"] == "" || out[0]["origin"] != "auto" {
		t.Fatalf("json has %d objects, first %v", len(out), out[0])
	}
	first, _ := time.Parse(time.RFC3339, out[0]["time_of_ban"].(string))
	last, _ := time.Parse(time.RFC3339, out[len(out)-1]["time_of_ban"].(string))
	if !first.After(last) {
		t.Error("export not newest first")
	}
}

func TestWriteEmptyAndBadInput(t *testing.T) {
	db := filled(t, 10)
	ctx := context.Background()
	var buf bytes.Buffer
	n, err := histexport.Write(ctx, db, core.HistoryFilter{Jail: "nope"}, histexport.JSON, &buf, nil)
	if err != nil || n != 0 || strings.TrimSpace(buf.String()) != "[\n]" {
		t.Fatalf("empty json = %q, %d, %v", buf.String(), n, err)
	}
	if _, err := histexport.Write(ctx, db, core.HistoryFilter{}, "xml", &buf, nil); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("format xml: %v", err)
	}
	if _, err := histexport.Write(ctx, db, core.HistoryFilter{IP: "1.2.3"}, histexport.CSV, &buf, nil); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("bad ip filter: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := histexport.Write(cctx, db, core.HistoryFilter{}, histexport.CSV, &buf, nil); core.ErrorCode(err) != core.ECANCELED {
		t.Errorf("cancelled: %v", err)
	}
}
