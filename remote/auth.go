package remote

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/bangui/bangui/core"
)

// AskPassphraseFunc asks for the passphrase of an encrypted key file.
type AskPassphraseFunc func(ctx context.Context, keyPath string) (string, error)

// maxPassphraseTries is how often a passphrase is asked for before giving up.
const maxPassphraseTries = 3

// Passphrases keeps the passphrases the user typed, in memory only, so that
// a reconnect does not ask again. Share one across the Dials of a server;
// the zero value is ready.
type Passphrases struct {
	mu sync.Mutex
	m  map[string]string
}

func (p *Passphrases) get(path string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.m[path]
	return s, ok
}

func (p *Passphrases) set(path, pass string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]string{}
	}
	p.m[path] = pass
}

func (p *Passphrases) forget(path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, path)
}

// authSetup is what Dial authenticates with.
type authSetup struct {
	signers  []ssh.Signer
	warnings []string
	agent    io.Closer
	err      error // the first error a lazy signer hit (wrong passphrase…)
	errMu    sync.Mutex
	// passwords counts the passwords sent (password logins).
	passwords int
}

func (a *authSetup) Close() {
	if a.agent != nil {
		a.agent.Close()
	}
}

func (a *authSetup) fail(err error) error {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	if a.err == nil {
		a.err = err
	}
	return err
}

func (a *authSetup) firstErr() error {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	return a.err
}

// defaultKeyNames are tried under ~/.ssh when the config names no key.
var defaultKeyNames = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// setupAuth collects signers: extra ones, the agent's, then key files.
// Encrypted keys are decrypted only when the server accepts their public
// key, so the user is asked only for a key that matters.
func setupAuth(ctx context.Context, t Target, o *DialOptions) (*authSetup, error) {
	a := &authSetup{}
	seen := map[string]bool{}
	add := func(s ssh.Signer) {
		fp := ssh.FingerprintSHA256(s.PublicKey())
		if !seen[fp] {
			seen[fp] = true
			a.signers = append(a.signers, s)
		}
	}
	for _, s := range o.Signers {
		add(s)
	}
	var reasons []string
	sock := o.AgentSocket
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" && sock != "none" {
		conn, err := (&net.Dialer{}).DialContext(ctx, "unix", sock)
		if err != nil {
			a.warnings = append(a.warnings, fmt.Sprintf("ssh-agent at %s does not answer: %v", sock, err))
		} else {
			a.agent = conn
			signers, err := agent.NewClient(conn).Signers()
			if err != nil {
				a.warnings = append(a.warnings, fmt.Sprintf("ssh-agent: %v", err))
			}
			wanted := map[string]bool{}
			if t.IdentitiesOnly {
				for _, f := range t.IdentityFiles {
					if pub := readPublicKey(f); pub != nil {
						wanted[ssh.FingerprintSHA256(pub)] = true
					}
				}
			}
			for _, s := range signers {
				if !t.IdentitiesOnly || wanted[ssh.FingerprintSHA256(s.PublicKey())] {
					add(s)
				}
			}
			if len(signers) == 0 {
				reasons = append(reasons, "ssh-agent holds no key")
			}
		}
	}
	files := t.IdentityFiles
	explicit := len(files) > 0
	if !explicit {
		home := o.HomeDir
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		for _, n := range defaultKeyNames {
			files = append(files, filepath.Join(home, ".ssh", n))
		}
	}
	for _, f := range files {
		s, err := loadKeyFile(ctx, f, o, a)
		switch {
		case err == nil:
			add(s)
		case errors.Is(err, fs.ErrNotExist):
			if explicit {
				a.warnings = append(a.warnings, fmt.Sprintf("the IdentityFile %s does not exist", f))
				reasons = append(reasons, f+" does not exist")
			}
		default:
			a.warnings = append(a.warnings, err.Error())
			reasons = append(reasons, err.Error())
		}
	}
	if len(a.signers) == 0 && o.AskPassword == nil {
		a.Close()
		if len(reasons) == 0 {
			reasons = append(reasons, "no ssh-agent (SSH_AUTH_SOCK is not set) and no key in ~/.ssh (id_ed25519, id_ecdsa, id_rsa)")
		}
		return nil, core.Errorf(core.EPERMISSION, "no usable key for %s@%s: %s. Add a key with ssh-keygen and ssh-copy-id, or name one with IdentityFile in ~/.ssh/config", t.User, t.HostName, strings.Join(reasons, "; "))
	}
	return a, nil
}

func readPublicKey(keyPath string) ssh.PublicKey {
	b, err := os.ReadFile(keyPath + ".pub")
	if err != nil {
		return nil
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil
	}
	return pub
}

// loadKeyFile parses a private key. An encrypted key becomes a lazySigner
// when its public half is known (OpenSSH format or a .pub file beside it).
func loadKeyFile(ctx context.Context, path string, o *DialOptions, a *authSetup) (ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("cannot read the key %s: %v", path, err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err == nil {
		return s, nil
	}
	var pm *ssh.PassphraseMissingError
	if !errors.As(err, &pm) {
		return nil, fmt.Errorf("cannot read the key %s: %v", path, err)
	}
	pub := pm.PublicKey
	if pub == nil {
		pub = readPublicKey(path)
	}
	ls := &lazySigner{ctx: ctx, path: path, pem: b, pub: pub, o: o, a: a}
	if pub == nil { // old PEM format without .pub: decrypt now to learn the key
		real, err := ls.decrypt()
		if err != nil {
			return nil, err
		}
		return real, nil
	}
	return ls, nil
}

// lazySigner decrypts its key on first use, asking for the passphrase.
type lazySigner struct {
	ctx  context.Context
	path string
	pem  []byte
	pub  ssh.PublicKey
	o    *DialOptions
	a    *authSetup

	mu   sync.Mutex
	real ssh.Signer
}

func (l *lazySigner) PublicKey() ssh.PublicKey { return l.pub }

func (l *lazySigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	s, err := l.decrypt()
	if err != nil {
		return nil, err
	}
	return s.Sign(rand, data)
}

func (l *lazySigner) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	s, err := l.decrypt()
	if err != nil {
		return nil, err
	}
	if as, ok := s.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rand, data, algorithm)
	}
	return s.Sign(rand, data)
}

func (l *lazySigner) Algorithms() []string {
	if l.pub.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{l.pub.Type()}
}

func (l *lazySigner) decrypt() (ssh.Signer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.real != nil {
		return l.real, nil
	}
	cache := l.o.Passphrases
	if pass, ok := cache.get(l.path); ok {
		if s, err := ssh.ParsePrivateKeyWithPassphrase(l.pem, []byte(pass)); err == nil {
			l.real = s
			return s, nil
		}
		cache.forget(l.path)
	}
	if l.o.AskPassphrase == nil {
		return nil, l.a.fail(core.Errorf(core.EPERMISSION, "the key %s is encrypted and there is no way to ask for its passphrase: add it to ssh-agent (ssh-add %s)", l.path, l.path))
	}
	for try := 1; try <= maxPassphraseTries; try++ {
		pass, err := l.o.AskPassphrase(l.ctx, l.path)
		if err != nil {
			return nil, l.a.fail(err)
		}
		s, err := ssh.ParsePrivateKeyWithPassphrase(l.pem, []byte(pass))
		if err == nil {
			cache.set(l.path, pass)
			l.real = s
			return s, nil
		}
		if !errors.Is(err, x509.IncorrectPasswordError) && !strings.Contains(err.Error(), "decryption password incorrect") {
			return nil, l.a.fail(core.Wrap(err, core.EINVALID, fmt.Sprintf("cannot decrypt the key %s", l.path)))
		}
	}
	return nil, l.a.fail(core.Errorf(core.EPERMISSION, "wrong passphrase for the key %s (%d tries): check it, or add the key to ssh-agent", l.path, maxPassphraseTries))
}
