package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/histexport"
)

// exportJob is a running export of the history: its progress dialog and
// how to stop it.
type exportJob struct {
	cancel   context.CancelFunc
	bar      *widget.ProgressBar
	label    *widget.Label
	dialog   dialog.Dialog
	path     string
	finished bool
}

// historyExportName suggests a file name: bangui-history-2026-11-27.csv.
func historyExportName(format string, v *historyView) string {
	return "bangui-history-" + v.now().Format("2006-01-02") + "." + format
}

// onExport asks where to save the filtered history as format.
func (v *historyView) onExport(format string) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) { v.onExportChosen(format, w, err) }, v.w)
	d.SetFileName(historyExportName(format, v))
	d.SetFilter(storage.NewExtensionFileFilter([]string{"." + format}))
	d.Show()
}

func (v *historyView) onExportChosen(format string, w fyne.URIWriteCloser, err error) {
	if err != nil {
		v.status.SetText("Export failed: " + core.ErrorMessage(err))
		return
	}
	if w == nil {
		return // cancelled
	}
	if w.URI().Scheme() != "file" {
		v.spawn(func() { closeQuietly(w) })
		v.status.SetText("Export failed: choose a file on this computer")
		return
	}
	path := w.URI().Path()
	v.spawn(func() { closeQuietly(w) })
	v.startExport(path, format, v.filter)
}

// startExport writes f's rows to path in the background, with a progress
// dialog whose button cancels it. The file is replaced whole at the end:
// a cancelled or failed export leaves no half-written file behind.
func (v *historyView) startExport(path, format string, f core.HistoryFilter) {
	ctx, cancel := context.WithCancel(v.viewCtx())
	job := &exportJob{cancel: cancel, bar: widget.NewProgressBar(), label: widget.NewLabel("Counting…"), path: path}
	v.export = job
	v.setExportable(true)
	job.dialog = dialog.NewCustom("Exporting the history", "Cancel", container.NewVBox(job.label, job.bar), v.w)
	job.dialog.SetOnClosed(func() {
		if !job.finished {
			cancel()
		}
	})
	job.dialog.Show()
	viewCtx := v.viewCtx()
	v.spawn(func() {
		var n int
		err := replaceFile(path, func(w io.Writer) error {
			var err error
			n, err = histexport.Write(ctx, v.r, f, format, w, func(done, total int) {
				do(ctx, func() { job.progress(done, total) })
			})
			return err
		})
		do(viewCtx, func() { v.exportDone(job, n, err) })
	})
}

func (j *exportJob) progress(done, total int) {
	if total > 0 {
		j.bar.SetValue(float64(done) / float64(total))
	}
	j.label.SetText(fmt.Sprintf("%s of %s bans written to %s", formatCount(done), formatCount(total), j.path))
}

func (v *historyView) exportDone(job *exportJob, n int, err error) {
	job.finished = true
	job.cancel()
	job.dialog.Hide()
	if v.export == job {
		v.export = nil
	}
	v.setExportable(v.pages.total > 0)
	switch {
	case core.ErrorCode(err) == core.ECANCELED:
		v.status.SetText("Export cancelled: " + job.path + " was not written")
	case err != nil:
		slog.Warn("export history", "path", job.path, "err", err)
		v.status.SetText("Export failed: " + core.ErrorMessage(err))
	default:
		v.status.SetText(fmt.Sprintf("Exported %s to %s", plural(n, "ban", "bans"), job.path))
	}
}
