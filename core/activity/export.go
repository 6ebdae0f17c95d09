package activity

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
)

// TimeFormat is how exports write times: RFC 3339 in UTC with
// milliseconds, as the log keeps them ("2026-01-02T15:04:05.123Z"). Go's
// time.RFC3339 layout reads it back.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// csvHeader names WriteCSV's columns; they match WriteJSON's keys.
var csvHeader = []string{"id", "started_at", "finished_at", "server_id", "server_name", "jail", "action", "args", "status", "result", "error"}

// WriteCSV writes list as CSV (RFC 4180, through encoding/csv): a header
// row, then one row per activity in the columns of csvHeader. Times follow
// TimeFormat and are empty when unset; server_id is empty for a deleted
// server; args are joined with single spaces. Cells are written as they
// are: a spreadsheet may read a cell such as "-1" or "=x" as a number or a
// formula.
func WriteCSV(w io.Writer, list []core.Activity) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("activity: write CSV: %w", err)
	}
	for _, a := range list {
		server := ""
		if a.ServerID != 0 {
			server = strconv.FormatInt(a.ServerID, 10)
		}
		rec := []string{
			strconv.FormatInt(a.ID, 10), formatTime(a.Started), formatTime(a.Finished), server, a.ServerName,
			a.Jail, a.Action, strings.Join(a.Args, " "), a.Status, a.Result, a.Error,
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("activity: write CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("activity: write CSV: %w", err)
	}
	return nil
}

// jsonActivity is one activity in WriteJSON's output.
type jsonActivity struct {
	ID         int64    `json:"id"`
	StartedAt  string   `json:"started_at"`
	FinishedAt *string  `json:"finished_at"` // null while running or when interrupted
	ServerID   *int64   `json:"server_id"`   // null for a deleted server
	ServerName string   `json:"server_name"`
	Jail       string   `json:"jail"`
	Action     string   `json:"action"`
	Args       []string `json:"args"`
	Status     string   `json:"status"`
	Result     string   `json:"result"`
	Error      string   `json:"error"`
}

// WriteJSON writes list as a JSON array of objects with the keys id,
// started_at, finished_at, server_id, server_name, jail, action, args (an
// array of strings), status, result and error. Times follow TimeFormat;
// finished_at and server_id are null when unset. An empty list is [].
// Objects are written one at a time, so a long list is not held twice in
// memory.
func WriteJSON(w io.Writer, list []core.Activity) error {
	bw := bufio.NewWriter(w)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	bw.WriteString("[")
	for i, a := range list {
		j := jsonActivity{
			ID: a.ID, StartedAt: formatTime(a.Started), ServerName: a.ServerName, Jail: a.Jail,
			Action: a.Action, Args: a.Args, Status: a.Status, Result: a.Result, Error: a.Error,
		}
		if j.Args == nil {
			j.Args = []string{}
		}
		if !a.Finished.IsZero() {
			f := formatTime(a.Finished)
			j.FinishedAt = &f
		}
		if a.ServerID != 0 {
			id := a.ServerID
			j.ServerID = &id
		}
		buf.Reset()
		if err := enc.Encode(j); err != nil {
			return fmt.Errorf("activity: write JSON: %w", err)
		}
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  ")
		// Encode ends the value with a newline; the comma goes before it.
		if _, err := bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))); err != nil {
			return fmt.Errorf("activity: write JSON: %w", err) // bufio errors are sticky
		}
	}
	if len(list) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("activity: write JSON: %w", err)
	}
	return nil
}

// formatTime writes t in TimeFormat, or "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}
