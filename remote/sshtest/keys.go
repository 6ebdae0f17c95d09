package sshtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// keyGenerators makes private keys of the types Options.HostKeys accepts.
var keyGenerators = map[string]func() (crypto.Signer, error){
	"ed25519": func() (crypto.Signer, error) {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	},
	"ecdsa": func() (crypto.Signer, error) {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	},
	"rsa": func() (crypto.Signer, error) {
		return rsa.GenerateKey(rand.Reader, 3072)
	},
}

// writeKey generates a key of type typ and writes it to path in OpenSSH
// format (mode 0600, encrypted when passphrase is set) and its public key
// to path+".pub". It returns the public key.
func writeKey(path, typ, comment, passphrase string) (ssh.PublicKey, error) {
	priv, err := keyGenerators[typ]()
	if err != nil {
		return nil, fmt.Errorf("sshtest: generating %s key: %w", typ, err)
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, comment, []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(priv, comment)
	}
	if err != nil {
		return nil, fmt.Errorf("sshtest: encoding %s key: %w", typ, err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return nil, fmt.Errorf("sshtest: %w", err)
	}
	// Remove first: WriteFile keeps the mode of an existing file.
	_ = os.Remove(path)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("sshtest: %w", err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " " + comment + "\n"
	if err := os.WriteFile(path+".pub", []byte(line), 0o644); err != nil {
		return nil, fmt.Errorf("sshtest: %w", err)
	}
	return pub, nil
}

// hostKeyPath is the file of the host key of type typ.
func (s *Server) hostKeyPath(typ string) string {
	return filepath.Join(s.Dir, hostKeyPrefix+typ+"_key")
}

// writeHostKeys generates new host keys for every type in s.keyTypes.
func (s *Server) writeHostKeys() error {
	keys := make([]ssh.PublicKey, 0, len(s.keyTypes))
	for _, t := range s.keyTypes {
		pub, err := writeKey(s.hostKeyPath(t), t, "sshtest-host", "")
		if err != nil {
			return err
		}
		keys = append(keys, pub)
	}
	s.mu.Lock()
	s.hostKeys = keys
	s.mu.Unlock()
	return nil
}

// HostPublicKeys returns the server's current host keys, one per type in
// Options.HostKeys (in that order).
func (s *Server) HostPublicKeys() []ssh.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ssh.PublicKey(nil), s.hostKeys...)
}

// WriteKnownHosts appends one known_hosts line per host key for
// "[127.0.0.1]:PORT" to the file at path, creating it (mode 0600) if
// needed. With hashed, the host name is hashed the way "ssh-keygen -H"
// does (|1|salt|hash). The file can be read by knownhosts.New and by
// OpenSSH's ssh.
//
// Because the file lists every host key, the client may negotiate any of
// them; a file with only some of them runs into x/crypto's host key
// algorithm order (see golang/go#49631).
func (s *Server) WriteKnownHosts(tb testing.TB, path string, hashed bool) {
	tb.Helper()
	host := knownhosts.Normalize(s.Addr)
	var b strings.Builder
	for _, k := range s.HostPublicKeys() {
		name := host
		if hashed {
			name = knownhosts.HashHostname(host)
		}
		b.WriteString(knownhosts.Line([]string{name}, k))
		b.WriteString("\n")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		tb.Fatalf("sshtest: WriteKnownHosts: %v", err)
	}
	_, err = f.WriteString(b.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatalf("sshtest: WriteKnownHosts: %v", err)
	}
}

// ClientKeyPath returns the file of user's private key (ed25519, OpenSSH
// format, mode 0600, encrypted with User.Passphrase if that is set). The
// public key is next to it, in ClientKeyPath(user)+".pub". It panics if
// user is not one of Options.Users.
func (s *Server) ClientKeyPath(user string) string {
	return s.user(user).keyPath
}

// ClientSigner parses user's private key, decrypting it with
// User.Passphrase if that is set. The result is cached: decrypting costs
// about 0.1 s (bcrypt KDF), several times that under -race.
func (s *Server) ClientSigner(tb testing.TB, user string) ssh.Signer {
	tb.Helper()
	u := s.user(user)
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.signer != nil {
		return u.signer
	}
	data, err := os.ReadFile(u.keyPath)
	if err != nil {
		tb.Fatalf("sshtest: ClientSigner: %v", err)
	}
	var signer ssh.Signer
	if u.Passphrase != "" {
		signer, err = ssh.ParsePrivateKeyWithPassphrase(data, []byte(u.Passphrase))
	} else {
		signer, err = ssh.ParsePrivateKey(data)
	}
	if err != nil {
		tb.Fatalf("sshtest: ClientSigner(%q): %v", user, err)
	}
	u.signer = signer
	return signer
}

// HomeDir returns user's home directory: Dir/home/<name> for an account the
// harness created, the existing home (normally /root) for root. It panics
// if user is not one of Options.Users.
func (s *Server) HomeDir(user string) string {
	return s.user(user).home
}

// user returns the state of a configured user.
func (s *Server) user(name string) *userState {
	u, ok := s.users[name]
	if !ok {
		panic(fmt.Sprintf("sshtest: %q is not one of Options.Users", name))
	}
	return u
}
