// Package histexport writes the cached ban history, or a filtered part of
// it, as CSV or JSON. Rows are read page by page and written as they come,
// so a million rows never sit in memory at once.
package histexport

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/bangui/bangui/core"
)

// Formats.
const (
	CSV  = "csv"
	JSON = "json"
)

// pageSize is how many rows one read takes.
const pageSize = 5000

// TimeFormat is how times are written: RFC 3339 in UTC.
const TimeFormat = time.RFC3339

var csvHeader = []string{"time_of_ban", "server", "jail", "ip", "ban_seconds", "ban_count", "failures", "origin", "source"}

// jsonBan is one ban in the JSON output; its keys match the CSV columns.
type jsonBan struct {
	TimeOfBan  string `json:"time_of_ban"`
	Server     string `json:"server"`
	Jail       string `json:"jail"`
	IP         string `json:"ip"`
	BanSeconds int64  `json:"ban_seconds"` // -1 permanent, -2 unknown
	BanCount   int    `json:"ban_count"`
	Failures   int    `json:"failures"`
	Origin     string `json:"origin"`
	Source     string `json:"source"`
}

// Write writes the bans matching f, newest first, to w in format (CSV or
// JSON: an array of objects). progress, when not nil, is called after each
// page with the rows written and the total expected. It returns how many
// rows it wrote; when ctx ends it stops between pages with an ECANCELED
// error, the output then being incomplete.
func Write(ctx context.Context, h core.History, f core.HistoryFilter, format string, w io.Writer, progress func(done, total int)) (int, error) {
	if format != CSV && format != JSON {
		return 0, core.Errorf(core.EINVALID, "unknown export format %q: use csv or json", format)
	}
	total, err := h.CountHistory(ctx, f)
	if err != nil {
		return 0, cancelled(ctx, err, 0, 0)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	out := newEncoder(format, bw)
	if err := out.begin(); err != nil {
		return 0, writeError(err)
	}
	done := 0
	var after *core.HistoryKey
	for {
		page, err := h.HistoryPage(ctx, f, after, pageSize)
		if err != nil {
			return done, cancelled(ctx, err, done, total)
		}
		for _, b := range page {
			if err := out.write(b); err != nil {
				return done, writeError(err)
			}
		}
		done += len(page)
		if progress != nil {
			progress(done, max(total, done))
		}
		if len(page) < pageSize {
			break
		}
		k := page[len(page)-1].Key()
		after = &k
	}
	if err := out.end(); err != nil {
		return done, writeError(err)
	}
	if err := bw.Flush(); err != nil {
		return done, writeError(err)
	}
	return done, nil
}

// cancelled names a failure caused by ctx ending as a cancellation.
func cancelled(ctx context.Context, err error, done, total int) error {
	if ctx.Err() == nil {
		return err
	}
	return core.Wrap(ctx.Err(), core.ECANCELED, fmt.Sprintf("the export was cancelled after %d of %d bans", done, total))
}

func writeError(err error) error {
	return core.Wrap(err, core.EUNAVAILABLE, "writing the export failed: "+err.Error())
}

type encoder struct {
	format string
	w      *bufio.Writer
	csv    *csv.Writer
	n      int
}

func newEncoder(format string, w *bufio.Writer) *encoder {
	e := &encoder{format: format, w: w}
	if format == CSV {
		e.csv = csv.NewWriter(w)
	}
	return e
}

func (e *encoder) begin() error {
	if e.csv != nil {
		return e.csv.Write(csvHeader)
	}
	_, err := e.w.WriteString("[")
	return err
}

func (e *encoder) write(b core.HistoryBan) error {
	j := jsonBan{
		TimeOfBan: b.TimeOfBan.UTC().Format(TimeFormat), Server: b.Server, Jail: b.Jail, IP: b.IP,
		BanSeconds: int64(b.BanTime / time.Second), BanCount: b.BanCount, Failures: b.Failures,
		Origin: b.Origin, Source: b.Source,
	}
	if e.csv != nil {
		return e.csv.Write([]string{j.TimeOfBan, j.Server, j.Jail, j.IP, strconv.FormatInt(j.BanSeconds, 10),
			strconv.Itoa(j.BanCount), strconv.Itoa(j.Failures), j.Origin, j.Source})
	}
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	sep := ",\n"
	if e.n == 0 {
		sep = "\n"
	}
	e.n++
	if _, err := e.w.WriteString(sep); err != nil {
		return err
	}
	_, err = e.w.Write(data)
	return err
}

func (e *encoder) end() error {
	if e.csv != nil {
		e.csv.Flush()
		return e.csv.Error()
	}
	_, err := e.w.WriteString("\n]\n")
	return err
}
