package remote

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/bangui/bangui/core"
)

// AskHostKeyFunc asks the user whether to trust an unknown host key. host
// is the known_hosts name ("name" or "[name]:port"), fingerprint is
// ssh.FingerprintSHA256(key). Returning false refuses the connection.
type AskHostKeyFunc func(ctx context.Context, host string, key ssh.PublicKey, fingerprint string) (bool, error)

// knownHostsMu serialises appends to known_hosts files from this process.
var knownHostsMu sync.Mutex

// hostKeys is the host key policy for one hop.
type hostKeys struct {
	files    []string // files that exist, read in order
	writeTo  string   // where an accepted key is appended
	cb       ssh.HostKeyCallback
	algos    []string // HostKeyAlgorithms
	hostName string   // known_hosts form of addr, for messages
	err      error    // the last verdict of the callback, for Dial's error
}

// loadHostKeys reads the known_hosts files of t and works out which host
// key algorithms to ask for: those of the keys known for addr, so that a
// server with ed25519 and ecdsa keys is not asked for the one we do not
// know (x/crypto would otherwise pick ecdsa and call it a mismatch).
func loadHostKeys(t Target, addr string) (*hostKeys, error) {
	h := &hostKeys{hostName: knownhosts.Normalize(addr)}
	if len(t.UserKnownHostsFiles) > 0 {
		h.writeTo = t.UserKnownHostsFiles[0]
	}
	for _, f := range append(append([]string(nil), t.UserKnownHostsFiles...), t.GlobalKnownHostsFiles...) {
		if _, err := os.Stat(f); err == nil {
			h.files = append(h.files, f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, core.Wrap(err, core.EPERMISSION, fmt.Sprintf("cannot read the known hosts file %s", f))
		}
	}
	cb, err := knownhosts.New(h.files...)
	if err != nil {
		return nil, core.Wrap(err, core.EINVALID, "a known hosts file has a line that cannot be read: fix or remove that line")
	}
	h.cb = cb
	h.algos = algorithmsFor(cb, addr)
	return h, nil
}

var (
	probeOnce sync.Once
	probeKey  ssh.PublicKey
)

// algorithmsFor probes cb with a key no one has and reads the known keys
// for addr from the mismatch error.
func algorithmsFor(cb ssh.HostKeyCallback, addr string) []string {
	probeOnce.Do(func() {
		pub, _, err := ed25519.GenerateKey(nil)
		if err == nil {
			probeKey, _ = ssh.NewPublicKey(pub)
		}
	})
	if probeKey == nil {
		return nil
	}
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	_ = host
	err := cb(addr, &net.TCPAddr{IP: net.IPv4zero, Port: p}, probeKey)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) || len(ke.Want) == 0 {
		return unknownHostAlgorithms
	}
	return algorithmsOf(ke.Want)
}

// unknownHostAlgorithms is asked for when known_hosts has no key for the
// host: OpenSSH's order, so the key we show and save is the one `ssh`
// would (x/crypto alone puts ed25519 last).
var unknownHostAlgorithms = []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}

// algorithmsOf maps known key types to the host key algorithms that
// produce them, strongest first, no duplicates.
func algorithmsOf(keys []knownhosts.KnownKey) []string {
	has := map[string]bool{}
	for _, k := range keys {
		has[k.Key.Type()] = true
	}
	var out []string
	order := []string{ssh.KeyAlgoED25519, ssh.KeyAlgoSKED25519, ssh.KeyAlgoECDSA521, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA256, ssh.KeyAlgoSKECDSA256, ssh.KeyAlgoRSA}
	for _, typ := range order {
		if !has[typ] {
			continue
		}
		delete(has, typ)
		if typ == ssh.KeyAlgoRSA {
			out = append(out, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
			continue
		}
		out = append(out, typ)
	}
	for typ := range has { // types we do not order (certificates…)
		out = append(out, typ)
	}
	return out
}

// callback returns the HostKeyCallback for a dial: known keys pass, an
// unknown host is put to ask, a changed key is refused.
func (h *hostKeys) callback(ctx context.Context, ask AskHostKeyFunc) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := h.check(ctx, ask, hostname, remote, key)
		h.err = err
		return err
	}
}

func (h *hostKeys) check(ctx context.Context, ask AskHostKeyFunc, hostname string, remote net.Addr, key ssh.PublicKey) error {
	if _, ok := remote.(*net.TCPAddr); !ok { // through a jump host the address is not TCP
		remote = &net.TCPAddr{IP: net.IPv4zero}
	}
	err := h.cb(hostname, remote, key)
	if err == nil {
		return nil
	}
	fp := ssh.FingerprintSHA256(key)
	var re *knownhosts.RevokedError
	if errors.As(err, &re) {
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("the host key of %s (%s) is marked as revoked in %s line %d: refusing to connect", h.hostName, fp, re.Revoked.Filename, re.Revoked.Line))
	}
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return core.Wrap(err, core.EINTERNAL, fmt.Sprintf("cannot check the host key of %s", h.hostName))
	}
	if len(ke.Want) > 0 {
		return changedKeyError(h.hostName, key, ke.Want)
	}
	if ask == nil {
		return core.Errorf(core.EPERMISSION, "the host key of %s is not known (%s %s) and there is no way to ask: connect once with ssh to add it to known_hosts", h.hostName, key.Type(), fp)
	}
	ok, err := ask(ctx, h.hostName, key, fp)
	if err != nil {
		return err
	}
	if !ok {
		return core.Errorf(core.EPERMISSION, "the host key of %s (%s) was not trusted: not connected", h.hostName, fp)
	}
	if h.writeTo == "" {
		return nil // UserKnownHostsFile none: trusted for this connection only
	}
	if err := appendKnownHost(h.writeTo, hostname, key); err != nil {
		return err
	}
	return nil
}

// changedKeyError is the loud refusal for a host whose key differs from the
// one on record. There is deliberately no way to skip it.
func changedKeyError(host string, key ssh.PublicKey, want []knownhosts.KnownKey) error {
	old := want[0]
	for _, w := range want {
		if w.Key.Type() == key.Type() {
			old = w
			break
		}
	}
	return core.Errorf(core.EPERMISSION,
		"WARNING: the host key of %s changed. It was %s and is now %s. This can mean that someone intercepts the connection. "+
			"If the server was reinstalled or its keys replaced, check the new fingerprint with its administrator, then remove the old line %d from %s",
		host, ssh.FingerprintSHA256(old.Key), ssh.FingerprintSHA256(key), old.Line, old.Filename)
}

// appendKnownHost adds "host key" to path, creating the file 0600 and its
// folder 0700 when missing.
func appendKnownHost(path, addr string, key ssh.PublicKey) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("cannot create the folder of %s to save the host key", path))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("cannot save the host key in %s", path))
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, key) + "\n"
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if r, err := os.Open(path); err == nil {
			if _, err := r.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
				line = "\n" + line
			}
			r.Close()
		}
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("cannot save the host key in %s", path))
	}
	if err := f.Close(); err != nil {
		return core.Wrap(err, core.EPERMISSION, fmt.Sprintf("cannot save the host key in %s", path))
	}
	return nil
}
