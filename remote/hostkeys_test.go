package remote

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/bangui/bangui/core"
)

func testSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ecdsaKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

var tcpAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222}

func TestKnownHostsTOFU(t *testing.T) {
	dir := t.TempDir()
	kh := filepath.Join(dir, "sub", "known_hosts") // folder missing: created 0700
	tg := Target{UserKnownHostsFiles: []string{kh}}
	addr := "127.0.0.1:2222"
	key := testSigner(t).PublicKey()

	hk, err := loadHostKeys(tg, addr)
	if err != nil {
		t.Fatal(err)
	}
	if hk.algos[0] != ssh.KeyAlgoED25519 {
		t.Errorf("unknown host: algorithms %v, want ed25519 first", hk.algos)
	}
	// Refused.
	var asked []string
	ask := func(ok bool) AskHostKeyFunc {
		return func(ctx context.Context, host string, k ssh.PublicKey, fp string) (bool, error) {
			asked = append(asked, host+" "+fp)
			return ok, nil
		}
	}
	err = hk.callback(context.Background(), ask(false))(addr, tcpAddr, key)
	mustCodeMsg(t, err, core.EPERMISSION, "not trusted", "[127.0.0.1]:2222")
	want := "[127.0.0.1]:2222 " + ssh.FingerprintSHA256(key)
	if len(asked) != 1 || asked[0] != want {
		t.Fatalf("asked %q, want %q", asked, want)
	}
	if _, err := os.Stat(kh); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused key was saved")
	}
	// No way to ask: refused too.
	err = hk.callback(context.Background(), nil)(addr, tcpAddr, key)
	mustCodeMsg(t, err, core.EPERMISSION, "not known")

	// Accepted: saved, file 0600 in a 0700 folder.
	if err := hk.callback(context.Background(), ask(true))(addr, tcpAddr, key); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(kh)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("known_hosts %v %v", fi.Mode(), err)
	}
	if di, _ := os.Stat(filepath.Dir(kh)); di.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v", di.Mode())
	}
	b, _ := os.ReadFile(kh)
	if !strings.HasPrefix(string(b), "[127.0.0.1]:2222 ssh-ed25519 ") || !strings.HasSuffix(string(b), "\n") {
		t.Errorf("line %q", b)
	}
	// Reloaded: known, no question, algorithms pinned to ed25519.
	asked = nil
	hk, err = loadHostKeys(tg, addr)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(hk.algos, []string{ssh.KeyAlgoED25519}) {
		t.Errorf("algorithms %v", hk.algos)
	}
	if err := hk.callback(context.Background(), ask(true))(addr, tcpAddr, key); err != nil || len(asked) != 0 {
		t.Fatalf("known key: %v, asked %q", err, asked)
	}
	// Changed: loud, names both fingerprints, file and line, never asks.
	other := testSigner(t).PublicKey()
	err = hk.callback(context.Background(), ask(true))(addr, tcpAddr, other)
	mustCodeMsg(t, err, core.EPERMISSION, "changed", ssh.FingerprintSHA256(key), ssh.FingerprintSHA256(other), "intercept", "line 1 from "+kh)
	if len(asked) != 0 {
		t.Error("asked about a changed key")
	}
	// A second accepted host goes on its own line even if the file
	// lacked a final newline.
	f, _ := os.OpenFile(kh, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("# comment without newline")
	f.Close()
	if err := appendKnownHost(kh, "example.org:22", other); err != nil {
		t.Fatal(err)
	}
	cb, err := knownhosts.New(kh)
	if err != nil {
		t.Fatal(err)
	}
	if err := cb("example.org:22", tcpAddr, other); err != nil {
		t.Errorf("appended host not known: %v", err)
	}
}

func TestKnownHostsHashedAndAlgorithms(t *testing.T) {
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	ed := testSigner(t).PublicKey()
	ec := ecdsaKey(t)
	addr := "127.0.0.1:2222"
	// Hashed entry (as ssh-keygen -H writes) for the ed25519 key only.
	line := knownhosts.Line([]string{knownhosts.HashHostname(knownhosts.Normalize(addr))}, ed)
	if err := os.WriteFile(kh, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hk, err := loadHostKeys(Target{UserKnownHostsFiles: []string{kh}}, addr)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(hk.algos, []string{ssh.KeyAlgoED25519}) {
		t.Fatalf("algorithms %v, want only ed25519 (golang/go#49631)", hk.algos)
	}
	if err := hk.callback(context.Background(), nil)(addr, tcpAddr, ed); err != nil {
		t.Fatal(err)
	}
	// An ecdsa key for a host known only by ed25519 is a mismatch.
	err = hk.callback(context.Background(), nil)(addr, tcpAddr, ec)
	mustCodeMsg(t, err, core.EPERMISSION, "changed")
	// Port 22 is stored without brackets; other hosts stay unknown.
	if got := algorithmsFor(hk.cb, "10.9.9.9:22"); !reflect.DeepEqual(got, unknownHostAlgorithms) {
		t.Errorf("unrelated host: %v", got)
	}
	// Both types known: both asked for, ed25519 first; RSA expands.
	if got := algorithmsOf([]knownhosts.KnownKey{{Key: ec}, {Key: ed}}); !reflect.DeepEqual(got, []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256}) {
		t.Errorf("algorithmsOf %v", got)
	}
	// A broken known_hosts file is a clear error.
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("this is not a known hosts line\n"), 0o600)
	_, err = loadHostKeys(Target{UserKnownHostsFiles: []string{bad}}, addr)
	mustCodeMsg(t, err, core.EINVALID, "known hosts")
}
