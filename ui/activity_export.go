package ui

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/activity"
)

// Export of the activity log to CSV and JSON files.

func (v *activityView) setExportable(on bool) {
	for _, b := range []*widget.Button{v.csvB, v.jsonB} {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

// activityExportName suggests a file name: bangui-activity-2026-11-27.csv.
func activityExportName(format string, now time.Time) string {
	return "bangui-activity-" + now.Format("2006-01-02") + "." + format
}

// onExport asks where to save the listed entries as format ("csv" or
// "json").
func (v *activityView) onExport(format string) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) { v.onExportChosen(format, w, err) }, v.w)
	d.SetFileName(activityExportName(format, v.now()))
	d.SetFilter(storage.NewExtensionFileFilter([]string{"." + format}))
	v.save = d
	d.Show()
}

// onExportChosen exports to the file the save dialog returned, off the UI
// goroutine. The dialog has already created (or, after asking, emptied)
// the file; exportTo replaces it whole.
func (v *activityView) onExportChosen(format string, w fyne.URIWriteCloser, err error) {
	if err != nil {
		slog.Warn("export activity", "err", err)
		v.status.SetText("Export failed: " + core.ErrorMessage(err))
		return
	}
	if w == nil {
		return // cancelled
	}
	uri := w.URI()
	if uri.Scheme() != "file" {
		v.spawn(func() { closeQuietly(w) })
		v.status.SetText("Export failed: choose a file on this computer")
		return
	}
	path := uri.Path()
	ctx := v.viewCtx()
	v.status.SetText("Exporting to " + path + "…")
	v.spawn(func() {
		closeQuietly(w)
		n, err := v.export(path, format)
		do(ctx, func() { v.showExported(path, n, err) })
	})
}

func closeQuietly(c io.Closer) {
	if err := c.Close(); err != nil {
		slog.Debug("close export dialog file", "err", err)
	}
}

func (v *activityView) showExported(path string, n int, err error) {
	if err != nil {
		slog.Warn("export activity", "path", path, "err", err)
		v.status.SetText("Export failed: " + core.ErrorMessage(err))
		return
	}
	v.status.SetText(fmt.Sprintf("Exported %s to %s", plural(n, "entry", "entries"), path))
}

// exportTo writes the listed entries to path as format ("csv" or "json").
// It blocks and may run on any goroutine.
func (v *activityView) exportTo(path, format string) error {
	_, err := v.export(path, format)
	return err
}

// export is exportTo that also says how many entries it wrote.
func (v *activityView) export(path, format string) (int, error) {
	var list []core.Activity
	if p := v.listed.Load(); p != nil {
		list = *p
	}
	var write func(io.Writer, []core.Activity) error
	switch format {
	case "csv":
		write = activity.WriteCSV
	case "json":
		write = activity.WriteJSON
	default:
		return 0, core.Errorf(core.EINVALID, "unknown export format %q", format)
	}
	if err := replaceFile(path, func(w io.Writer) error { return write(w, list) }); err != nil {
		return 0, fmt.Errorf("ui: export activity to %s: %w", path, err)
	}
	return len(list), nil
}

// replaceFile writes a file of mode 0600 at path through write: into a
// temporary file in the same folder, then renamed over path, so path holds
// either its old content or the whole new one, never a part.
func replaceFile(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*") // mode 0600
	if err != nil {
		return exportFileError(path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return exportFileError(path, err)
	}
	if err := write(f); err != nil {
		var ce *core.Error
		if errors.As(err, &ce) {
			return err // already says what went wrong (a cancel, a bad filter)
		}
		return exportFileError(path, err)
	}
	if err := f.Sync(); err != nil {
		return exportFileError(path, err)
	}
	if err := f.Close(); err != nil {
		return exportFileError(path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return exportFileError(path, err)
	}
	return nil
}

// exportFileError gives a file error a user message.
func exportFileError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return core.Wrap(err, core.EINVALID, "the folder "+filepath.Dir(path)+" does not exist")
	case errors.Is(err, fs.ErrPermission):
		return core.Wrap(err, core.EPERMISSION, "no permission to write "+path)
	}
	return core.Wrap(err, core.EINTERNAL, "could not write "+path+": "+err.Error())
}
