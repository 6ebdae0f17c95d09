package ui

import (
	"context"

	"fyne.io/fyne/v2"
)

// do applies f on the UI goroutine unless ctx ended first (server switched
// or view stopped).
func do(ctx context.Context, f func()) {
	if ctx.Err() != nil {
		return
	}
	fyne.Do(func() {
		if ctx.Err() == nil {
			f()
		}
	})
}
