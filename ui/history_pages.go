package ui

import (
	"context"
	"sort"

	"github.com/bangui/bangui/core"
)

// historyPageSize is how many rows one page read brings.
const historyPageSize = 200

// maxHistoryPages bounds the pages kept in memory (40,000 rows); the ones
// farthest from the last page asked for go first.
const maxHistoryPages = 200

// historyPages is the virtual history table's row source: the total, and
// pages of rows loaded on demand by keyset (the key of the row before a
// page), seeking deep into the history without reading the rows between.
// It lives on the UI goroutine; fetch runs the reads elsewhere.
type historyPages struct {
	total   int
	pages   map[int][]core.HistoryBan
	keys    map[int]core.HistoryKey // the last row's key of each page seen
	pending map[int]bool
	last    int // the page asked for last

	// fetch loads page p in the background (given the nearest key before
	// it) and hands the result to loaded, on the UI goroutine.
	fetch func(p int, from *core.HistoryKey, fromPage int)
}

func newHistoryPages() *historyPages {
	h := &historyPages{}
	h.reset(0)
	return h
}

// reset forgets every page, for a new filter with total rows.
func (h *historyPages) reset(total int) {
	h.total = total
	h.pages = map[int][]core.HistoryBan{}
	h.keys = map[int]core.HistoryKey{}
	h.pending = map[int]bool{}
}

func (h *historyPages) length() int { return h.total }

func (h *historyPages) at(i int) (core.HistoryBan, bool) {
	if i < 0 || i >= h.total {
		return core.HistoryBan{}, false
	}
	p := i / historyPageSize
	h.last = p
	rows, ok := h.pages[p]
	if !ok {
		h.request(p)
		return core.HistoryBan{}, false
	}
	if j := i % historyPageSize; j < len(rows) {
		return rows[j], true
	}
	return core.HistoryBan{}, false
}

// request starts loading page p unless it is on its way. The read starts
// from the closest known key before the page: page p-1's last row when
// known (a plain next page), else an earlier page's, the store then
// skipping the rows in between.
func (h *historyPages) request(p int) {
	if h.pending[p] || h.fetch == nil {
		return
	}
	h.pending[p] = true
	from := -1
	for q := range h.keys {
		if q < p && q > from {
			from = q
		}
	}
	if from < 0 {
		h.fetch(p, nil, -1)
		return
	}
	k := h.keys[from]
	h.fetch(p, &k, from)
}

// loaded stores page p, and keeps its last key for the pages after it.
func (h *historyPages) loaded(p int, rows []core.HistoryBan) {
	delete(h.pending, p)
	h.pages[p] = rows
	if len(rows) > 0 {
		h.keys[p] = rows[len(rows)-1].Key()
	}
	h.evict()
}

// failed forgets that page p was on its way, so it is asked again.
func (h *historyPages) failed(p int) { delete(h.pending, p) }

// evict drops the pages farthest from the last one asked for.
func (h *historyPages) evict() {
	if len(h.pages) <= maxHistoryPages {
		return
	}
	ps := make([]int, 0, len(h.pages))
	for p := range h.pages {
		ps = append(ps, p)
	}
	dist := func(p int) int {
		if p > h.last {
			return p - h.last
		}
		return h.last - p
	}
	sort.Slice(ps, func(i, j int) bool { return dist(ps[i]) > dist(ps[j]) })
	for _, p := range ps[:len(ps)-maxHistoryPages] {
		delete(h.pages, p)
	}
}

// readHistoryPage reads page p of f given the key of the last row of page
// fromPage (nil and -1: from the newest row): the pages between are
// skipped with HistorySeek, then the page itself is read.
func readHistoryPage(ctx context.Context, r core.History, f core.HistoryFilter, p int, from *core.HistoryKey, fromPage int) ([]core.HistoryBan, error) {
	after := from
	if skip := (p - fromPage - 1) * historyPageSize; skip > 0 {
		k, err := r.HistorySeek(ctx, f, from, skip)
		if err != nil {
			return nil, err
		}
		if k == nil {
			return nil, nil
		}
		after = k
	}
	return r.HistoryPage(ctx, f, after, historyPageSize)
}
