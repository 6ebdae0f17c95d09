package f2b

import (
	"context"
	"time"

	"github.com/bangui/bangui/core"
)

// Ping checks that the server answers.
func (c *Client) Ping(ctx context.Context) error {
	v, err := c.call(ctx, 0, "ping")
	if err != nil {
		return err
	}
	if s, _ := v.(string); s != "pong" {
		return userError([]string{"ping"}, shapeError(`"pong"`, v))
	}
	return nil
}

// Version returns the server's fail2ban version. It is asked once per
// connection and remembered until the connection is re-dialled (an upgrade
// restarts the server, which breaks the connection).
func (c *Client) Version(ctx context.Context) (core.Version, error) {
	c.mu.Lock()
	if c.version != nil {
		v := *c.version
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	raw, err := c.call(ctx, 0, "version")
	if err != nil {
		return core.Version{}, err
	}
	s, err := asString(raw)
	if err != nil {
		return core.Version{}, userError([]string{"version"}, err)
	}
	v, err := core.ParseVersion(s)
	if err != nil {
		return core.Version{}, err
	}
	c.mu.Lock()
	if c.conn != nil {
		c.version = &v
	}
	c.mu.Unlock()
	return v, nil
}

// feature is a command that appeared in a given fail2ban release. Where a
// feature was back-ported, each release line has its own minimum.
type feature struct {
	name string
	need string                  // for messages
	mins []struct{ a, b, c int } // per release line; the last one covers all newer lines
}

var (
	featBanned   = feature{"banned", "0.10.6 (or 0.11.2)", []struct{ a, b, c int }{{0, 10, 6}, {0, 11, 2}}}
	featWithTime = feature{"banip --with-time", "0.11.1", []struct{ a, b, c int }{{0, 11, 1}}}
	featShort    = feature{"status <jail> short", "0.10.6 (or 0.11.2)", []struct{ a, b, c int }{{0, 10, 6}, {0, 11, 2}}}
)

// supports reports whether v has f.
func (f feature) supports(v core.Version) bool {
	for i, m := range f.mins {
		last := i == len(f.mins)-1
		if v.Major == m.a && v.Minor == m.b {
			return v.AtLeast(m.a, m.b, m.c)
		}
		if last {
			return v.AtLeast(m.a, m.b, m.c)
		}
	}
	return false
}

// require fails with a *VersionError, wrapped for the user, when the
// server's version lacks f.
func (c *Client) require(ctx context.Context, f feature) error {
	v, err := c.Version(ctx)
	if err != nil {
		return err
	}
	if !f.supports(v) {
		return userError([]string{f.name}, &VersionError{Command: f.name, Need: f.need, Have: v})
	}
	return nil
}

// ServerStatus returns the server's own status line ("Server ready").
func (c *Client) ServerStatus(ctx context.Context) (string, error) {
	return getString(ctx, c, "server-status")
}

// Jails returns the names of the server's jails, in its order.
func (c *Client) Jails(ctx context.Context) ([]string, error) {
	v, err := c.call(ctx, 0, "status")
	if err != nil {
		return nil, err
	}
	pairs, err := asPairs(v)
	if err == nil {
		var list string
		if list, err = field(pairs, "Jail list", asString); err == nil {
			return splitList(list), nil
		}
	}
	return nil, userError([]string{"status"}, err)
}

// Banned returns every jail with its banned IPs (`banned`, fail2ban 0.10.6
// or 0.11.2 and newer).
func (c *Client) Banned(ctx context.Context) ([]core.JailBans, error) {
	if err := c.require(ctx, featBanned); err != nil {
		return nil, err
	}
	v, err := c.call(ctx, 0, "banned")
	if err != nil {
		return nil, err
	}
	out, err := decodeBanned(v)
	if err != nil {
		return nil, userError([]string{"banned"}, err)
	}
	return out, nil
}

func decodeBanned(v any) ([]core.JailBans, error) {
	seq, err := asSeq(v)
	if err != nil {
		return nil, err
	}
	var out []core.JailBans
	for _, e := range seq {
		m, ok := e.(map[any]any)
		if !ok {
			return nil, shapeError("dict", e)
		}
		for k, ips := range m {
			jail, err := asString(k)
			if err != nil {
				return nil, err
			}
			list, err := asStrings(ips)
			if err != nil {
				return nil, err
			}
			out = append(out, core.JailBans{Jail: jail, IPs: list})
		}
	}
	return out, nil
}

// JailsOf returns, for each IP, the jails that ban it now (`banned IP...`).
// The IPs are validated first; the result is keyed by their canonical form.
func (c *Client) JailsOf(ctx context.Context, ips ...string) (map[string][]string, error) {
	list, err := core.NormalizeIPs(ips, false)
	if err != nil {
		return nil, err
	}
	if err := c.require(ctx, featBanned); err != nil {
		return nil, err
	}
	args := append([]string{"banned"}, list...)
	v, err := c.call(ctx, 0, args...)
	if err != nil {
		return nil, err
	}
	seq, err := asSeq(v)
	if err != nil {
		return nil, userError(args, err)
	}
	// With one IP, some versions return that IP's jail list itself rather
	// than a list of lists (1.0.2 nests, upstream master unwraps).
	if len(list) == 1 && !isNested(seq) {
		seq = []any{seq}
	}
	if len(seq) != len(list) {
		return nil, userError(args, &ProtocolError{Msg: "banned: answer does not match the IPs asked"})
	}
	out := make(map[string][]string, len(list))
	for i, ip := range list {
		jails, err := asStrings(seq[i])
		if err != nil {
			return nil, userError(args, err)
		}
		out[ip] = jails
	}
	return out, nil
}

// DBFile returns the path of the server's database, and false when the
// server runs without one.
func (c *Client) DBFile(ctx context.Context) (string, bool, error) {
	v, err := c.call(ctx, 0, "get", "dbfile")
	if err != nil {
		return "", false, err
	}
	s, ok, err := asOptString(v)
	if err != nil {
		return "", false, userError([]string{"get", "dbfile"}, err)
	}
	return s, ok, nil
}

// DBPurgeAge returns how long the server keeps bans in its database.
func (c *Client) DBPurgeAge(ctx context.Context) (time.Duration, error) {
	n, err := getInt(ctx, c, "get", "dbpurgeage")
	return time.Duration(n) * time.Second, err
}

// LogLevel returns the server's log level ("INFO").
func (c *Client) LogLevel(ctx context.Context) (string, error) {
	return getString(ctx, c, "get", "loglevel")
}

// LogTarget returns where the server logs (a path, "STDOUT", "SYSLOG"…).
func (c *Client) LogTarget(ctx context.Context) (string, error) {
	return getString(ctx, c, "get", "logtarget")
}

// getString, getInt, getBool and getStrings run a command and decode its
// payload, reporting a wrong shape with the command's name.
func getString(ctx context.Context, c *Client, args ...string) (string, error) {
	return get(ctx, c, asString, args...)
}

func getInt(ctx context.Context, c *Client, args ...string) (int, error) {
	return get(ctx, c, asInt, args...)
}

func getBool(ctx context.Context, c *Client, args ...string) (bool, error) {
	return get(ctx, c, asBool, args...)
}

func getStrings(ctx context.Context, c *Client, args ...string) ([]string, error) {
	return get(ctx, c, asStrings, args...)
}

func get[T any](ctx context.Context, c *Client, dec func(any) (T, error), args ...string) (T, error) {
	var zero T
	v, err := c.call(ctx, 0, args...)
	if err != nil {
		return zero, err
	}
	t, err := dec(v)
	if err != nil {
		return zero, userError(args, err)
	}
	return t, nil
}

// isNested reports whether seq is a one-element list of lists.
func isNested(seq []any) bool {
	if len(seq) != 1 {
		return false
	}
	_, err := asSeq(seq[0])
	return err == nil
}
