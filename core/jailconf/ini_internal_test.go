package jailconf

import (
	"strings"
	"testing"
)

func TestININewFile(t *testing.T) {
	f, err := parseINI(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.set("app1", "bantime", "3600")
	if got, want := string(f.bytes()), header+"\n[app1]\nbantime = 3600\n"; got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestINIRoundTripAndMerge(t *testing.T) {
	in := header + "# a note by the admin\n\n[app1]\nbantime = 3600\n# why 5\nmaxretry = 5\n\n[app2]\nignoreip =\n"
	f, err := parseINI([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(f.bytes()); got != in {
		t.Fatalf("round trip changed the file:\n%s\nwant:\n%s", got, in)
	}
	f.set("app1", "bantime", "60")
	f.set("app2", "findtime", "600")
	f.set("app3", "ignoreself", "true")
	want := header + "# a note by the admin\n\n[app1]\nbantime = 60\n# why 5\nmaxretry = 5\n\n[app2]\nignoreip =\nfindtime = 600\n\n[app3]\nignoreself = true\n"
	if got := string(f.bytes()); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if v := f.values("app1"); len(v) != 2 || v["bantime"] != "60" || v["maxretry"] != "5" {
		t.Errorf("values(app1) = %v", v)
	}
	if v := f.values("nosuch"); len(v) != 0 {
		t.Errorf("values(nosuch) = %v", v)
	}
}

// Hand edits in the forms fail2ban accepts are read; the file is then
// written back in BanGUI's form.
func TestINIHandEdits(t *testing.T) {
	in := "\n\n# my own header\r\n[app1]\r\nBanTime=60\nmaxretry: 3\nbantime = 120\n\n\n[app2]\n[app1]\nfindtime = 5m\n"
	f, err := parseINI([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if v := f.values("app1"); v["bantime"] != "120" || v["maxretry"] != "3" || v["findtime"] != "5m" {
		t.Errorf("values = %v", v)
	}
	f.set("app1", "bantime", "7")
	want := header + "# my own header\n\n[app1]\nbantime = 7\nmaxretry = 3\nfindtime = 5m\n\n[app2]\n"
	if got := string(f.bytes()); got != want {
		t.Fatalf("got:\n%q\nwant:\n%q", got, want)
	}
}

func TestINIRefusesWhatItDoesNotWrite(t *testing.T) {
	for _, in := range []string{
		"bantime = 1\n",                  // before any section
		"[app1]\nbantime = 1\n  2\n",     // continuation line
		"[app1\nbantime = 1\n",           // bad header
		"[]\n",                           // empty section name
		"[app1]\njust words\n",           // no delimiter
		"[app1]\n= 5\n",                  // no key
		"[app1]\nban time = 5\n",         // space in key
		"[a[b]]\n",                       // brackets in name
		"[app1]\nbantime = 1\n\tx = 2\n", // tab-indented
	} {
		if _, err := parseINI([]byte(in)); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("parseINI(%q) = %v, want an error naming the line", in, err)
		}
	}
}
