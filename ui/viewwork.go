package ui

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"
)

// viewWork is the background work of a view: a context that ends with
// stop (renewed by the next use), the goroutines spawned for it, and
// spawn, the one place work leaves the UI goroutine. Tests replace spawn
// to run the work in place, since the test driver runs fyne.Do inline.
type viewWork struct {
	parent context.Context // set by the App before the view starts
	ctx    context.Context
	cancel context.CancelFunc
	spawn  func(func())
	work   sync.WaitGroup
}

// initWork sets the defaults; call it once, on the view's final address.
func (w *viewWork) initWork() {
	w.parent = context.Background()
	w.spawn = func(f func()) {
		w.work.Add(1)
		go func() { defer w.work.Done(); f() }()
	}
}

// viewCtx returns the context of the view's work, starting one after stop.
func (w *viewWork) viewCtx() context.Context {
	if w.ctx == nil {
		w.ctx, w.cancel = context.WithCancel(w.parent)
	}
	return w.ctx
}

// stopWork cancels the work in flight and waits for it.
func (w *viewWork) stopWork() {
	if w.cancel != nil {
		w.cancel()
		w.cancel, w.ctx = nil, nil
	}
	w.work.Wait()
}

// showIn makes o the only object of body (content or a state panel),
// without a redraw when it already is.
func showIn(body *fyne.Container, o fyne.CanvasObject) {
	if len(body.Objects) == 1 && body.Objects[0] == o {
		return
	}
	body.Objects = []fyne.CanvasObject{o}
	body.Refresh()
}
