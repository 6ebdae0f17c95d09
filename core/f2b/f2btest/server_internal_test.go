package f2btest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLongTempDir makes t.TempDir() too long for a unix socket and checks
// that Start falls back to a short directory that works and is removed.
func TestLongTempDir(t *testing.T) {
	long, err := os.MkdirTemp("", "f2btest-long-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(long)
	long = filepath.Join(long, strings.Repeat("x", 100))
	if err := os.Mkdir(long, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", long)

	var dir string
	t.Run("start", func(t *testing.T) {
		s := Start(t, Options{})
		dir = s.Dir
		if n := len(s.Socket); n > maxSocketPath {
			t.Errorf("socket path is %d bytes: %s", n, s.Socket)
		}
		if strings.HasPrefix(s.Dir, long) {
			t.Errorf("Dir %s is under the long TMPDIR", s.Dir)
		}
		if got := s.Client(t, "ping"); !strings.Contains(got, "pong") {
			t.Errorf("ping = %q", got)
		}
	})
	if dir == "" {
		t.Skip("no server started")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("fallback dir %s not removed after the test (err %v)", dir, err)
	}
}

func TestUsableDir(t *testing.T) {
	for dir, want := range map[string]bool{
		"/tmp/TestX123/001":                   true,
		"relative/dir":                        false,
		"/tmp/Test with space/001":            false,
		"/tmp/Test$HOME/001":                  false,
		"/tmp/Test%d/001":                     false,
		"/tmp/" + strings.Repeat("a", 93):     true, // + "/f2b.sock" = 107 bytes
		"/tmp/" + strings.Repeat("a", 94):     false,
		"/tmp/Test<ip>/001":                   false,
		"/tmp/TestA_b-c.d/001":                true,
		"/tmp/TestSub(1)/001":                 false,
		"/tmp/Test'quote'/001":                false,
		"/tmp/Test\"dq\"/001":                 false,
		"/tmp/TestNewline\n/001":              false,
		"/tmp/TestUnicodeÄ/001":               false,
		"/tmp/Test;rm/001":                    false,
		"/tmp/Test&bg/001":                    false,
		"/tmp/Test`cmd`/001":                  false,
		"/tmp/Test{brace}/001":                false,
		"/tmp/Test~tilde/001":                 false,
		"/tmp/Test#hash/001":                  false,
		"/tmp/Test!bang/001":                  false,
		"/tmp/Test,comma/001":                 false,
		"/tmp/Test=eq/001":                    false,
		"/tmp/Test+plus/001":                  false,
		"/tmp/Test@at/001":                    false,
		"/tmp/Test^caret/001":                 false,
		"/tmp/Test" + strings.Repeat("b", 60): true,
	} {
		if got := usableDir(dir); got != want {
			t.Errorf("usableDir(%q) = %v, want %v", dir, got, want)
		}
	}
}

func TestOptionsCheck(t *testing.T) {
	opt, err := Options{}.withDefaults()
	if err != nil || opt.DBPurgeAge != "1d" || opt.BanTime != "600" {
		t.Errorf("defaults = %+v, %v", opt, err)
	}
	if _, err := (Options{BanTime: "10\nfoo = bar"}).withDefaults(); err == nil {
		t.Error("a newline in BanTime was accepted")
	}
	jails, err := Options{ExtraJails: []string{"app3", "web_x-1"}}.jailNames()
	if err != nil || strings.Join(jails, ",") != "app1,app2,app3,web_x-1" {
		t.Errorf("jailNames = %v, %v", jails, err)
	}
	for _, bad := range []string{"app1", "", "a b", "[x]", "DEFAULT", "a.b"} {
		if _, err := (Options{ExtraJails: []string{bad}}).jailNames(); err == nil {
			t.Errorf("extra jail %q was accepted", bad)
		}
	}
}

func TestLastAction(t *testing.T) {
	log := []byte("ban app1 192.0.2.10\nban app1 2001:db8:0:0::10\nunban app1 192.0.2.10\nban app2 192.0.2.10\nban app1 192.0.2.11\n")
	for _, tc := range []struct{ jail, ip, want string }{
		{"app1", "192.0.2.10", "unban"},
		{"app2", "192.0.2.10", "ban"},
		{"app1", "2001:db8::10", "ban"},
		{"app1", "192.0.2.1", ""},
		{"app3", "192.0.2.11", ""},
	} {
		if got := lastAction(log, tc.jail, tc.ip); got != tc.want {
			t.Errorf("lastAction(%s, %s) = %q, want %q", tc.jail, tc.ip, got, tc.want)
		}
	}
}

func TestReadyWriter(t *testing.T) {
	var buf bytes.Buffer
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := newReadyWriter(f)
	for _, chunk := range []string{"noise\nServer re", "", "ady\n", "more\n"} {
		buf.WriteString(chunk)
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
		if chunk == "Server re" {
			select {
			case <-w.ready:
				t.Fatal("ready before the whole marker")
			default:
			}
		}
	}
	select {
	case <-w.ready:
	default:
		t.Fatal("marker split over two writes not seen")
	}
	got, _ := os.ReadFile(f.Name())
	if string(got) != buf.String() {
		t.Errorf("file = %q, want %q", got, buf.String())
	}
}

// TestStartFailureShowsLog breaks the config and checks that launch fails
// with a useful message and leaves no server behind.
func TestStartFailureShowsLog(t *testing.T) {
	for name, tc := range map[string]struct {
		breakConfig func(s *Server) error
		want        []string
	}{
		"app2 names a missing filter": {
			// fail2ban skips the jail and starts the rest.
			func(s *Server) error {
				p := filepath.Join(s.ConfDir, "jail.conf")
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				i := bytes.LastIndex(b, []byte("filter = test-auth"))
				b = append(b[:i:i], append([]byte("filter = no-such-filter"), b[i+len("filter = test-auth"):]...)...)
				return os.WriteFile(p, b, 0o644)
			},
			[]string{`jail "app2" did not start`, "--- tail of", "Errors in jail 'app2'. Skipping"},
		},
		"broken jail.conf": {
			func(s *Server) error {
				return os.WriteFile(filepath.Join(s.ConfDir, "jail.conf"), []byte("[app1\nnot ini\n"), 0o644)
			},
			[]string{"exited during start-up", "--- tail of", "server.out"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testenvRequire(t)
			s, err := newServer(t, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.breakConfig(s); err != nil {
				t.Fatal(err)
			}
			err = s.launch(t)
			if err == nil {
				_ = s.stop()
				t.Fatal("launch succeeded with a broken config")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if s.proc != nil {
				t.Error("a failed launch left s.proc set")
			}
			if _, err := os.Lstat(s.Socket); err == nil {
				// A killed server may leave its socket; the next start
				// removes it with -x. Only a live one would be a problem.
				if out, err := s.run(t.Context(), "ping"); err == nil {
					t.Errorf("server still answers after a failed launch: %q", out)
				}
			}
		})
	}
}
