package remote

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	sshconfig "github.com/kevinburke/ssh_config"

	"github.com/bangui/bangui/core"
)

// ResolveOptions tunes Resolve. The zero value reads ~/.ssh/config.
type ResolveOptions struct {
	// ConfigPath is the ssh config file; empty = HomeDir/.ssh/config. A
	// missing file is not an error.
	ConfigPath string
	// HomeDir replaces the user's home folder for ~ and %d (tests).
	HomeDir string
	// LocalUser replaces the local user name for %u (tests).
	LocalUser string
	// User and Port, when set, override the config (the values the user
	// typed for the server win over ~/.ssh/config).
	User string
	Port int
}

// Target is where and how to connect, after the ssh config was applied.
type Target struct {
	Alias    string // the name asked for (a config alias or a host name)
	HostName string // the host to connect to
	Port     int
	User     string
	// IdentityFiles are the key files named in the config, with ~ and
	// %d/%u/%h/%r/%p/%n/%l/%% expanded. IdentitiesOnly is the config's
	// IdentitiesOnly (then the agent only offers these keys).
	IdentityFiles  []string
	IdentitiesOnly bool
	// ProxyJump lists the hops to go through, in order. Each is resolved
	// with the config, so a hop can be an alias.
	ProxyJump []Target
	// UserKnownHostsFiles are read for host keys; new keys are appended to
	// the first. GlobalKnownHostsFiles are only read.
	UserKnownHostsFiles   []string
	GlobalKnownHostsFiles []string
	ConnectTimeout        time.Duration // 0 = not set
	ServerAliveInterval   time.Duration // 0 = not set
	// Warnings are things in the config that were ignored (unknown
	// options, bad values); show them, they are not fatal.
	Warnings []string
}

// Addr is HostName:Port, ready for net.Dial.
func (t Target) Addr() string { return net.JoinHostPort(t.HostName, strconv.Itoa(t.Port)) }

// String is user@host:port, for messages.
func (t Target) String() string {
	if t.User == "" {
		return t.Addr()
	}
	return t.User + "@" + t.Addr()
}

// ResolveServer resolves a core.Server: its Host is an alias or host name,
// its Port and User (when set) override the config.
func ResolveServer(s core.Server, opts ResolveOptions) (Target, error) {
	if s.User != "" {
		opts.User = s.User
	}
	if s.Port != 0 {
		opts.Port = s.Port
	}
	return Resolve(s.Host, opts)
}

// Resolve applies the ssh config to alias. Unknown options are ignored and
// listed in Target.Warnings; a file that does not parse is an EINVALID
// error naming the file and line.
func Resolve(alias string, opts ResolveOptions) (Target, error) {
	alias = strings.TrimSpace(alias)
	if alias == "" || strings.ContainsAny(alias, " \t\r\n\"'") || strings.HasPrefix(alias, "-") {
		return Target{}, core.Errorf(core.EINVALID, "%q is not a host name or ssh config alias", alias)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return Target{}, err
	}
	cfg, warnings, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return Target{}, err
	}
	return resolve(cfg, alias, opts, warnings, map[string]bool{})
}

func (o ResolveOptions) withDefaults() (ResolveOptions, error) {
	if o.HomeDir == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return o, core.Wrap(err, core.EINTERNAL, "cannot find your home folder")
		}
		o.HomeDir = h
	}
	if o.LocalUser == "" {
		if u, err := user.Current(); err == nil {
			o.LocalUser = u.Username
		} else {
			o.LocalUser = os.Getenv("USER")
		}
	}
	if o.ConfigPath == "" {
		o.ConfigPath = filepath.Join(o.HomeDir, ".ssh", "config")
	}
	return o, nil
}

var posRE = regexp.MustCompile(`^\((\d+), (\d+)\): `)

// loadConfig parses path; a missing file gives an empty config.
func loadConfig(path string) (*sshconfig.Config, []string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, core.Wrap(err, core.EPERMISSION, fmt.Sprintf("cannot read the ssh config %s", path))
	}
	cfg, err := sshconfig.DecodeBytes(b)
	if err != nil {
		msg := err.Error()
		if m := posRE.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("line %s: %s", m[1], msg[len(m[0]):])
		}
		return nil, nil, core.Wrap(err, core.EINVALID, fmt.Sprintf("the ssh config %s does not parse (%s): fix that line", path, msg))
	}
	var warnings []string
	for _, h := range cfg.Hosts {
		for _, n := range h.Nodes {
			kv, ok := n.(*sshconfig.KV)
			if !ok {
				continue
			}
			if !knownKeywords[strings.ToLower(kv.Key)] {
				warnings = append(warnings, fmt.Sprintf("%s line %d: unknown option %q ignored", path, kv.Pos().Line, kv.Key))
			}
		}
	}
	return cfg, warnings, nil
}

func get(cfg *sshconfig.Config, alias, key string) string {
	if cfg == nil {
		return ""
	}
	v, _ := cfg.Get(alias, key)
	return strings.TrimSpace(v)
}

func getAll(cfg *sshconfig.Config, alias, key string) []string {
	if cfg == nil {
		return nil
	}
	v, _ := cfg.GetAll(alias, key)
	return v
}

func resolve(cfg *sshconfig.Config, alias string, opts ResolveOptions, warnings []string, seen map[string]bool) (Target, error) {
	if seen[alias] {
		return Target{}, core.Errorf(core.EINVALID, "the ProxyJump setting for %q leads back to itself: fix the ProxyJump lines in %s", alias, opts.ConfigPath)
	}
	seen[alias] = true
	defer delete(seen, alias)

	t := Target{Alias: alias, Warnings: warnings}
	warn := func(format string, args ...any) { t.Warnings = append(t.Warnings, fmt.Sprintf(format, args...)) }

	t.HostName = alias
	if hn := get(cfg, alias, "HostName"); hn != "" {
		t.HostName = strings.ReplaceAll(strings.ReplaceAll(hn, "%h", alias), "%%", "%")
	}
	t.Port = 22
	if p := get(cfg, alias, "Port"); p != "" {
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 {
			t.Port = n
		} else {
			warn("Port %q for %s is not a port number: using 22", p, alias)
		}
	}
	if opts.Port != 0 {
		t.Port = opts.Port
	}
	t.User = get(cfg, alias, "User")
	if opts.User != "" {
		t.User = opts.User
	}
	if t.User == "" {
		t.User = opts.LocalUser
	}
	for _, f := range getAll(cfg, alias, "IdentityFile") {
		f = strings.TrimSpace(f)
		if f == "" || strings.EqualFold(f, "none") {
			continue
		}
		t.IdentityFiles = append(t.IdentityFiles, expand(f, t, opts))
	}
	t.IdentitiesOnly = strings.EqualFold(get(cfg, alias, "IdentitiesOnly"), "yes")
	if v := get(cfg, alias, "UserKnownHostsFile"); v != "" && !strings.EqualFold(v, "none") {
		for _, f := range strings.Fields(v) {
			t.UserKnownHostsFiles = append(t.UserKnownHostsFiles, expand(f, t, opts))
		}
	} else if v == "" {
		t.UserKnownHostsFiles = []string{filepath.Join(opts.HomeDir, ".ssh", "known_hosts"), filepath.Join(opts.HomeDir, ".ssh", "known_hosts2")}
	}
	if v := get(cfg, alias, "GlobalKnownHostsFile"); v != "" && !strings.EqualFold(v, "none") {
		for _, f := range strings.Fields(v) {
			t.GlobalKnownHostsFiles = append(t.GlobalKnownHostsFiles, expand(f, t, opts))
		}
	} else if v == "" {
		t.GlobalKnownHostsFiles = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
	}
	t.ConnectTimeout = seconds(get(cfg, alias, "ConnectTimeout"), "ConnectTimeout", warn)
	t.ServerAliveInterval = seconds(get(cfg, alias, "ServerAliveInterval"), "ServerAliveInterval", warn)
	if pc := get(cfg, alias, "ProxyCommand"); pc != "" && !strings.EqualFold(pc, "none") {
		warn("ProxyCommand for %s is not supported and was ignored: use ProxyJump", alias)
	}

	pj := get(cfg, alias, "ProxyJump")
	if pj == "" || strings.EqualFold(pj, "none") {
		return t, nil
	}
	for _, hop := range strings.Split(pj, ",") {
		hop = strings.TrimSpace(hop)
		if hop == "" {
			continue
		}
		u, host, port, err := splitHop(hop)
		if err != nil {
			return Target{}, core.Wrap(err, core.EINVALID, fmt.Sprintf("ProxyJump %q for %s in %s is not [user@]host[:port]", hop, alias, opts.ConfigPath))
		}
		hopOpts := opts
		hopOpts.User, hopOpts.Port = u, port
		ht, err := resolve(cfg, host, hopOpts, nil, seen)
		if err != nil {
			return Target{}, err
		}
		t.Warnings = append(t.Warnings, ht.Warnings...)
		ht.Warnings = nil
		t.ProxyJump = append(t.ProxyJump, ht)
	}
	return t, nil
}

func seconds(v, name string, warn func(string, ...any)) time.Duration {
	if v == "" || strings.EqualFold(v, "none") {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		warn("%s %q is not a number of seconds: ignored", name, v)
		return 0
	}
	return time.Duration(n) * time.Second
}

// splitHop reads [ssh://][user@]host[:port] (host may be [v6]).
func splitHop(s string) (u, host string, port int, err error) {
	s = strings.TrimPrefix(s, "ssh://")
	if i := strings.LastIndex(s, "@"); i >= 0 {
		u, s = s[:i], s[i+1:]
	}
	host = s
	if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		h, p, e := net.SplitHostPort(s)
		if e == nil {
			host = h
			if port, err = strconv.Atoi(p); err != nil || port <= 0 || port > 65535 {
				return "", "", 0, fmt.Errorf("bad port %q", p)
			}
		} else if strings.HasPrefix(s, "[") {
			host = strings.Trim(s, "[]")
		}
	}
	if host == "" || strings.ContainsAny(host, " /") {
		return "", "", 0, fmt.Errorf("bad host %q", host)
	}
	return u, host, port, nil
}

// expand replaces ~ and the tokens OpenSSH allows in file names.
func expand(s string, t Target, opts ResolveOptions) string {
	if s == "~" {
		s = opts.HomeDir
	} else if strings.HasPrefix(s, "~/") {
		s = filepath.Join(opts.HomeDir, s[2:])
	}
	if !strings.Contains(s, "%") {
		return s
	}
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'd':
			b.WriteString(opts.HomeDir)
		case 'u':
			b.WriteString(opts.LocalUser)
		case 'h':
			b.WriteString(t.HostName)
		case 'r':
			b.WriteString(t.User)
		case 'p':
			b.WriteString(strconv.Itoa(t.Port))
		case 'n':
			b.WriteString(t.Alias)
		case 'l':
			h, _ := os.Hostname()
			b.WriteString(h)
		case 'i':
			b.WriteString(strconv.Itoa(os.Getuid()))
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// knownKeywords are OpenSSH's ssh_config keywords (OpenSSH 9.x), lower case.
var knownKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`host match addkeystoagent addressfamily batchmode bindaddress bindinterface
canonicaldomains canonicalizefallbacklocal canonicalizehostname canonicalizemaxdots canonicalizepermittedcnames
casignaturealgorithms certificatefile channeltimeout checkhostip ciphers clearallforwardings compression
connectionattempts connecttimeout controlmaster controlpath controlpersist dynamicforward enableescapecommandline
enablesshkeysign escapechar exitonforwardfailure fingerprinthash forkafterauthentication forwardagent forwardx11
forwardx11timeout forwardx11trusted gatewayports globalknownhostsfile gssapiauthentication gssapidelegatecredentials
hashknownhosts hostbasedacceptedalgorithms hostbasedauthentication hostkeyalgorithms hostkeyalias hostname
identitiesonly identityagent identityfile ignoreunknown include ipqos kbdinteractiveauthentication kbdinteractivedevices
kexalgorithms knownhostscommand localcommand localforward loglevel logverbose macs nohostauthenticationforlocalhost
numberofpasswordprompts obscurekeystroketiming passwordauthentication permitlocalcommand permitremoteopen pkcs11provider
port preferredauthentications proxycommand proxyjump proxyusefdpass pubkeyacceptedalgorithms pubkeyacceptedkeytypes
pubkeyauthentication rekeylimit remotecommand remoteforward requesttty requiredrsasize revokedhostkeys securitykeyprovider
sendenv serveralivecountmax serveraliveinterval sessiontype setenv stdinnull streamlocalbindmask streamlocalbindunlink
stricthostkeychecking syslogfacility tag tcpkeepalive tunnel tunneldevice updatehostkeys user userknownhostsfile
verifyhostkeydns visualhostkey xauthlocation challengeresponseauthentication usekeychain enablesshkeysign
gssapikeyexchange gssapiclientidentity gssapiserveridentity gssapirenewalforcesrekey gssapitrustdns`) {
		knownKeywords[k] = true
	}
}
