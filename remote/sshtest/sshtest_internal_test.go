package sshtest

import (
	"os/user"
	"strings"
	"testing"
)

func TestLeftOver(t *testing.T) {
	for _, tc := range []struct {
		name, comment, home string
		want                bool
	}{
		{"bgt1", "bangui sshtest", "/tmp/sshtest-123/home/bgt1", true},
		{"bgt1", "bangui sshtest", "/var/tmp/x/sshtest-9/home/bgt1/", true},
		{"bgt1", "someone", "/tmp/sshtest-123/home/bgt1", false},
		{"bgt1", "bangui sshtest", "/home/bgt1", false},
		{"bgt1", "bangui sshtest", "/tmp/sshtest-123/home/other", false},
		{"daemon", "daemon", "/usr/sbin", false},
	} {
		got := leftOver(&user.User{Username: tc.name, Name: tc.comment, HomeDir: tc.home})
		if got != tc.want {
			t.Errorf("leftOver(%+v) = %v", tc, got)
		}
	}
}

func TestCreateAccountRefusesForeign(t *testing.T) {
	requireEnv(t)
	// "daemon" exists on every Debian system and was not made by sshtest.
	s := &Server{Dir: t.TempDir(), users: map[string]*userState{}}
	st := &userState{User: User{Name: "daemon"}, home: "/nonexistent"}
	err := s.createAccount(st)
	if err == nil || !strings.Contains(err.Error(), "refusing") || st.created {
		t.Fatalf("createAccount(daemon): err %v, created %v", err, st.created)
	}
	if _, err := user.Lookup("daemon"); err != nil {
		t.Fatalf("daemon is gone: %v", err)
	}
}

func TestSplitExtra(t *testing.T) {
	head, tail := splitExtra("MaxSessions 3\n\nmatch User x\n  PermitTTY no\n")
	if head != "MaxSessions 3" || tail != "match User x\n  PermitTTY no" {
		t.Errorf("got %q / %q", head, tail)
	}
	head, tail = splitExtra("A b\nC d\n")
	if head != "A b\nC d" || tail != "" {
		t.Errorf("got %q / %q", head, tail)
	}
}

func TestCheckOptions(t *testing.T) {
	for _, opt := range []Options{
		{Users: []User{{Name: "Root"}}},
		{Users: []User{{Name: "a b"}}},
		{Users: []User{{Name: "x"}, {Name: "x"}}},
		{Users: []User{{Name: strings.Repeat("a", 33)}}},
		{HostKeys: []string{"dsa"}},
	} {
		if err := opt.check(); err == nil {
			t.Errorf("check(%+v): no error", opt)
		}
	}
	if err := (Options{Users: []User{{Name: "root"}, {Name: "bgt_1-a"}}, HostKeys: []string{"rsa", "ecdsa", "ed25519"}}).check(); err != nil {
		t.Error(err)
	}
}
