package activity_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
	"github.com/bangui/bangui/core/store/storetest"
)

// sample is a log with the awkward cases: a running activity, a deleted
// server, cells with commas, quotes, newlines, HTML and non-ASCII text.
func sample() []core.Activity {
	t0 := time.Date(2026, 3, 1, 14, 5, 6, 789_000_000, time.FixedZone("CET", 3600))
	return []core.Activity{
		{ID: 3, Started: t0.Add(time.Minute), ServerID: 1, ServerName: "web, \"one\"", Jail: "sshd",
			Action: core.ActionBan, Args: []string{"192.0.2.1", "2001:db8::1"}, Status: core.StatusRunning},
		{ID: 2, Started: t0, Finished: t0.Add(1500 * time.Millisecond), ServerID: 0, ServerName: "gone ✓",
			Jail: "nginx-http-auth", Action: core.ActionSetBanTime, Args: []string{"-1"}, Status: core.StatusFailed,
			Result: "", Error: "fail2ban refused \"set\":\nValueError('<x> & y')"},
		{ID: 1, Started: t0.Add(-time.Hour), Finished: t0.Add(-time.Hour + time.Second), ServerID: 7, ServerName: "db",
			Action: core.ActionUnbanAll, Status: core.StatusOK, Result: "lifted 0 bans"},
	}
}

func TestWriteCSV(t *testing.T) {
	list := sample()
	var b bytes.Buffer
	if err := activity.WriteCSV(&b, list); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	wantHeader := []string{"id", "started_at", "finished_at", "server_id", "server_name", "jail", "action", "args", "status", "result", "error"}
	if len(recs) != len(list)+1 || !slices.Equal(recs[0], wantHeader) {
		t.Fatalf("records %q", recs)
	}
	for i, a := range list {
		r := recs[i+1]
		if r[0] != strconv.FormatInt(a.ID, 10) || r[4] != a.ServerName || r[5] != a.Jail || r[6] != a.Action ||
			!slices.Equal(strings.Fields(r[7]), a.Args) || r[8] != a.Status || r[9] != a.Result || r[10] != a.Error {
			t.Errorf("row %d: %q, want %+v", i, r, a)
		}
		if a.ServerID == 0 && r[3] != "" || a.ServerID != 0 && r[3] != strconv.FormatInt(a.ServerID, 10) {
			t.Errorf("row %d: server_id %q, want %d", i, r[3], a.ServerID)
		}
		checkTime(t, r[1], a.Started)
		checkTime(t, r[2], a.Finished)
	}
	if got := recs[2][1]; got != "2026-03-01T13:05:06.789Z" {
		t.Errorf("time %q, want UTC RFC 3339 with milliseconds", got)
	}
}

// checkTime parses s as RFC 3339 and compares it with want ("" for zero).
func checkTime(t *testing.T, s string, want time.Time) {
	t.Helper()
	if want.IsZero() {
		if s != "" {
			t.Errorf("time %q, want empty", s)
		}
		return
	}
	got, err := time.Parse(time.RFC3339, s)
	if err != nil || !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("time %q (%v), want %v in UTC", s, err, want)
	}
}

func TestWriteJSON(t *testing.T) {
	list := sample()
	var b bytes.Buffer
	if err := activity.WriteJSON(&b, list); err != nil {
		t.Fatal(err)
	}
	var got []struct {
		ID         int64    `json:"id"`
		StartedAt  string   `json:"started_at"`
		FinishedAt *string  `json:"finished_at"`
		ServerID   *int64   `json:"server_id"`
		ServerName string   `json:"server_name"`
		Jail       string   `json:"jail"`
		Action     string   `json:"action"`
		Args       []string `json:"args"`
		Status     string   `json:"status"`
		Result     string   `json:"result"`
		Error      string   `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(b.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(got) != len(list) {
		t.Fatalf("%d objects, want %d", len(got), len(list))
	}
	for i, a := range list {
		g := got[i]
		if g.ID != a.ID || g.ServerName != a.ServerName || g.Jail != a.Jail || g.Action != a.Action ||
			!slices.Equal(g.Args, a.Args) || g.Args == nil || g.Status != a.Status || g.Result != a.Result || g.Error != a.Error {
			t.Errorf("object %d: %+v, want %+v", i, g, a)
		}
		checkTime(t, g.StartedAt, a.Started)
		if a.Finished.IsZero() != (g.FinishedAt == nil) {
			t.Errorf("object %d: finished_at %v, want null only when unset", i, g.FinishedAt)
		} else if g.FinishedAt != nil {
			checkTime(t, *g.FinishedAt, a.Finished)
		}
		if a.ServerID == 0 && g.ServerID != nil || a.ServerID != 0 && (g.ServerID == nil || *g.ServerID != a.ServerID) {
			t.Errorf("object %d: server_id %v, want %d (null for 0)", i, g.ServerID, a.ServerID)
		}
	}
	// Keys are snake_case and nulls are explicit.
	var raw []map[string]any
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if v, ok := raw[0]["finished_at"]; !ok || v != nil {
		t.Errorf("running activity: finished_at = %v, %v; want null", v, ok)
	}
	if !strings.Contains(b.String(), "<x> & y") {
		t.Errorf("HTML characters escaped:\n%s", b.String())
	}

	for _, empty := range [][]core.Activity{nil, {}} {
		b.Reset()
		if err := activity.WriteJSON(&b, empty); err != nil || strings.TrimSpace(b.String()) != "[]" {
			t.Errorf("empty list: %q, %v", b.String(), err)
		}
	}
	b.Reset()
	if err := activity.WriteCSV(&b, nil); err != nil || strings.Count(b.String(), "\n") != 1 {
		t.Errorf("empty CSV: %q, %v; want the header only", b.String(), err)
	}
}

// TestExportFromStore exports what the cache returns and reads it back.
func TestExportFromStore(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	rec := &activity.Recorder{Log: db}
	for i, err := range []error{nil, core.Errorf(core.EINVALID, `"x" is not an IP address`), nil} {
		a := web1
		a.Args = []string{"192.0.2." + strconv.Itoa(i)}
		_ = rec.Do(ctx, a, func(context.Context) (string, error) { return "banned 1", err })
	}
	list, err := db.Activities(ctx, core.ActivityFilter{Status: core.StatusOK})
	if err != nil || len(list) != 2 {
		t.Fatalf("%d activities, %v", len(list), err)
	}
	var js, cs bytes.Buffer
	if err := activity.WriteJSON(&js, list); err != nil {
		t.Fatal(err)
	}
	if err := activity.WriteCSV(&cs, list); err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back) != 2 || back[0]["args"].([]any)[0] != "192.0.2.2" {
		t.Errorf("JSON %v, %v", back, err)
	}
	recs, err := csv.NewReader(&cs).ReadAll()
	if err != nil || len(recs) != 3 || recs[1][7] != "192.0.2.2" || recs[2][7] != "192.0.2.0" {
		t.Errorf("CSV %q, %v", recs, err)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, bytes.ErrTooLarge }

func TestExportWriteError(t *testing.T) {
	if err := activity.WriteCSV(failWriter{}, sample()); err == nil {
		t.Error("WriteCSV ignored a failing writer")
	}
	if err := activity.WriteJSON(failWriter{}, sample()); err == nil {
		t.Error("WriteJSON ignored a failing writer")
	}
}
