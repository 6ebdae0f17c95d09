package f2btest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// logTail returns the last lines of the server's stdout/stderr and of
// fail2ban's log, for failure messages.
func (s *Server) logTail() string {
	var b strings.Builder
	for _, name := range []string{serverOutName, serverLogName} {
		data, err := os.ReadFile(filepath.Join(s.Dir, name))
		if err != nil {
			fmt.Fprintf(&b, "--- %s: %v\n", name, err)
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		fmt.Fprintf(&b, "--- tail of %s:\n%s\n", filepath.Join(s.Dir, name), strings.Join(lines, "\n"))
	}
	return b.String()
}

// readyWriter copies the server's output to a file and closes ready once the
// output contains "Server ready". Only the exec package's copying goroutine
// writes to it.
type readyWriter struct {
	f     *os.File
	ready chan struct{}
	seen  bool
	tail  []byte
}

const readyMarker = "Server ready"

func newReadyWriter(f *os.File) *readyWriter {
	return &readyWriter{f: f, ready: make(chan struct{})}
}

// Write implements io.Writer.
func (w *readyWriter) Write(b []byte) (int, error) {
	if !w.seen {
		w.tail = append(w.tail, b...)
		if bytes.Contains(w.tail, []byte(readyMarker)) {
			w.seen = true
			w.tail = nil
			close(w.ready)
		} else if n := len(readyMarker); len(w.tail) > n {
			w.tail = append(w.tail[:0], w.tail[len(w.tail)-n:]...)
		}
	}
	return w.f.Write(b)
}
