package fleet

import "sync"

// DefaultLimit is how many servers are worked on at once when Limit is 0.
const DefaultLimit = 8

// Each calls fn(i) for every i in [0, n) on at most limit goroutines and
// returns once every call has returned. Work is handed out in order, so
// with a limit of 1 it is a plain loop. fn must notice a cancelled context
// itself (and return at once).
func Each(n, limit int, fn func(i int)) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, n)
	next := make(chan int)
	var wg sync.WaitGroup
	wg.Add(limit)
	for range limit {
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// reporter calls a callback from several goroutines one at a time, so the
// callback needs no lock of its own.
type reporter[T any] struct {
	mu sync.Mutex
	fn func(T)
}

func (r *reporter[T]) report(v T) {
	if r.fn == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fn(v)
}
