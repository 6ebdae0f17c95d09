package blocklist_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/blocklist"
)

const benchLines = 1_000_000

// benchList is a list of a million lines in the shape of real ones: mostly
// IPv4 addresses, some IPv6, comments, blank lines, trailing comments and
// a little garbage. The addresses are random (some land in reserved
// ranges, some repeat); the list is generated in memory, parsed and
// thrown away: none of it is ever sent anywhere.
var benchList = sync.OnceValue(func() []byte {
	r := rand.New(rand.NewPCG(7, 7))
	var b bytes.Buffer
	b.Grow(16 * benchLines)
	b.WriteString("# generated for the benchmark\n")
	for i := 1; i < benchLines; i++ {
		switch n := r.IntN(100); {
		case n < 88:
			fmt.Fprintf(&b, "%d.%d.%d.%d\n", 1+r.IntN(222), r.IntN(256), r.IntN(256), r.IntN(256))
		case n < 90:
			fmt.Fprintf(&b, "%d.%d.%d.%d\t# reported %d times\r\n", 1+r.IntN(222), r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(50))
		case n < 95:
			fmt.Fprintf(&b, "2a0%x:%x:%x::%x\n", r.IntN(16), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16))
		case n < 97:
			b.WriteString("# a comment line between the addresses\n")
		case n < 98:
			b.WriteString("\n")
		default:
			fmt.Fprintf(&b, "host-%d.example.net\n", r.IntN(1000))
		}
	}
	return b.Bytes()
})

// BenchmarkParse parses and validates the million-line list.
func BenchmarkParse(b *testing.B) {
	data := benchList()
	opt := blocklist.ParseOptions{MaxEntries: core.MaxMaxEntries}
	var p blocklist.Parsed
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if p, err = blocklist.Parse(bytes.NewReader(data), opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchLines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(p.Valid), "entries")
	b.ReportMetric(float64(retained(b, data, opt))/float64(p.Valid), "heap-B/entry")
}

// retained measures the heap a parse's result holds once it is done.
func retained(b *testing.B, data []byte, opt blocklist.ParseOptions) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, err := blocklist.Parse(bytes.NewReader(data), opt)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(p)
	return after.HeapAlloc - before.HeapAlloc
}

// BenchmarkScanLines is the floor: the same list split into lines with
// bufio.Scanner and nothing else.
func BenchmarkScanLines(b *testing.B) {
	data := benchList()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s := bufio.NewScanner(bytes.NewReader(data))
		n := 0
		for s.Scan() {
			n++
		}
		if n != benchLines {
			b.Fatalf("%d lines, want %d", n, benchLines)
		}
	}
	b.ReportMetric(float64(benchLines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
