package f2b

import (
	"context"
	"strconv"
	"time"

	pickle "github.com/kisielk/og-rek"

	"github.com/bangui/bangui/core"
)

// JailStatus returns `status <jail>`: counters, watched files and the
// banned IPs.
func (c *Client) JailStatus(ctx context.Context, jail string) (core.JailStatus, error) {
	return c.jailStatus(ctx, jail, false)
}

// JailStatusShort returns `status <jail> short`: the counters and files
// without the banned-IP list, cheap enough to poll on big jails (fail2ban
// 0.10.6 / 0.11.2 and newer).
func (c *Client) JailStatusShort(ctx context.Context, jail string) (core.JailStatus, error) {
	return c.jailStatus(ctx, jail, true)
}

func (c *Client) jailStatus(ctx context.Context, jail string, short bool) (core.JailStatus, error) {
	if err := core.ValidateJailName(jail); err != nil {
		return core.JailStatus{}, err
	}
	args := []string{"status", jail}
	if short {
		if err := c.require(ctx, featShort); err != nil {
			return core.JailStatus{}, err
		}
		args = append(args, "short")
	}
	v, err := c.call(ctx, 0, args...)
	if err != nil {
		return core.JailStatus{}, err
	}
	st, err := decodeJailStatus(v, !short)
	if err != nil {
		return core.JailStatus{}, userError(args, err)
	}
	st.Name = jail
	return st, nil
}

func decodeJailStatus(v any, withIPs bool) (st core.JailStatus, err error) {
	top, err := asPairs(v)
	if err != nil {
		return st, err
	}
	filter, err := field(top, "Filter", asPairs)
	if err != nil {
		return st, err
	}
	actions, err := field(top, "Actions", asPairs)
	if err != nil {
		return st, err
	}
	if st.CurrentlyFailed, err = field(filter, "Currently failed", asInt); err != nil {
		return st, err
	}
	if st.TotalFailed, err = field(filter, "Total failed", asInt); err != nil {
		return st, err
	}
	// Non-file backends (systemd) report a "Journal matches" list instead.
	if _, ok := filter["File list"]; ok {
		st.Backend = "files"
		if st.Files, err = field(filter, "File list", asStrings); err != nil {
			return st, err
		}
	} else if _, ok := filter["Journal matches"]; ok {
		st.Backend = "systemd"
	}
	if st.CurrentlyBanned, err = field(actions, "Currently banned", asInt); err != nil {
		return st, err
	}
	if st.TotalBanned, err = field(actions, "Total banned", asInt); err != nil {
		return st, err
	}
	if withIPs {
		if st.BannedIPs, err = field(actions, "Banned IP list", asStrings); err != nil {
			return st, err
		}
		if st.BannedIPs == nil {
			st.BannedIPs = []string{}
		}
	}
	return st, nil
}

// JailConfig reads a jail's runtime settings with one `get` per setting.
func (c *Client) JailConfig(ctx context.Context, jail string) (core.JailConfig, error) {
	if err := core.ValidateJailName(jail); err != nil {
		return core.JailConfig{}, err
	}
	cfg := core.JailConfig{Name: jail}
	var err error
	secs := func(s string) (time.Duration, error) {
		n, err := getInt(ctx, c, "get", jail, s)
		return time.Duration(n) * time.Second, err
	}
	steps := []func() error{
		func() error { cfg.BanTime, err = secs("bantime"); return err },
		func() error { cfg.FindTime, err = secs("findtime"); return err },
		func() error { cfg.MaxRetry, err = getInt(ctx, c, "get", jail, "maxretry"); return err },
		func() error { cfg.MaxMatches, err = getInt(ctx, c, "get", jail, "maxmatches"); return err },
		func() error { cfg.IgnoreIP, err = getStrings(ctx, c, "get", jail, "ignoreip"); return err },
		func() error { cfg.IgnoreSelf, err = getBool(ctx, c, "get", jail, "ignoreself"); return err },
		func() error { cfg.LogPaths, err = getStrings(ctx, c, "get", jail, "logpath"); return err },
		func() error { cfg.FailRegex, err = getStrings(ctx, c, "get", jail, "failregex"); return err },
		func() error { cfg.IgnoreRegex, err = getStrings(ctx, c, "get", jail, "ignoreregex"); return err },
		func() error { cfg.DatePattern, err = c.datePattern(ctx, jail); return err },
		func() error { cfg.Actions, err = getStrings(ctx, c, "get", jail, "actions"); return err },
		func() error { cfg.UseDNS, err = getString(ctx, c, "get", jail, "usedns"); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return core.JailConfig{}, err
		}
	}
	return cfg, nil
}

func (c *Client) datePattern(ctx context.Context, jail string) (core.DatePattern, error) {
	args := []string{"get", jail, "datepattern"}
	v, err := c.call(ctx, 0, args...)
	if err != nil {
		return core.DatePattern{}, err
	}
	switch v.(type) {
	case nil, pickle.None:
		return core.DatePattern{}, nil
	}
	seq, err := asSeq(v)
	if err == nil && len(seq) == 2 {
		var dp core.DatePattern
		if dp.Pattern, _, err = asOptString(seq[0]); err == nil {
			if dp.Name, _, err = asOptString(seq[1]); err == nil {
				return dp, nil
			}
		}
	}
	if err == nil {
		err = shapeError("(pattern, name)", v)
	}
	return core.DatePattern{}, userError(args, err)
}

// SetIdle turns a jail's idle mode on (it stops acting on failures) or off.
func (c *Client) SetIdle(ctx context.Context, jail string, on bool) error {
	if err := core.ValidateJailName(jail); err != nil {
		return err
	}
	arg := "off"
	if on {
		arg = "on"
	}
	if _, err := c.call(ctx, 0, "set", jail, "idle", arg); err != nil {
		return err
	}
	c.mu.Lock()
	if c.idle == nil {
		c.idle = map[string]bool{}
	}
	c.idle[jail] = on
	c.mu.Unlock()
	return nil
}

// SetBanTime sets a jail's bantime from a fail2ban time value ("10m",
// "1h30m", "600", or "-1" for permanent) and returns what the server now
// holds. The value is parsed here and sent as whole seconds: the server
// would evaluate any other string.
func (c *Client) SetBanTime(ctx context.Context, jail, value string) (time.Duration, error) {
	return c.setTime(ctx, jail, "bantime", value, true)
}

// SetFindTime sets a jail's findtime (see SetBanTime for the format; -1 is
// refused).
func (c *Client) SetFindTime(ctx context.Context, jail, value string) (time.Duration, error) {
	return c.setTime(ctx, jail, "findtime", value, false)
}

func (c *Client) setTime(ctx context.Context, jail, key, value string, forever bool) (time.Duration, error) {
	if err := core.ValidateJailName(jail); err != nil {
		return 0, err
	}
	d, err := core.ParseTimeValue(value, forever)
	if err != nil {
		return 0, err
	}
	n, err := getInt(ctx, c, "set", jail, key, strconv.Itoa(int(d/time.Second)))
	return time.Duration(n) * time.Second, err
}

// SetMaxRetry sets how many failures within findtime ban an address.
func (c *Client) SetMaxRetry(ctx context.Context, jail string, n int) (int, error) {
	if err := core.ValidateJailName(jail); err != nil {
		return 0, err
	}
	if n < 1 || n > 1000 {
		return 0, core.Errorf(core.EINVALID, "maxretry %d is out of range: use a number from 1 to 1000", n)
	}
	return getInt(ctx, c, "set", jail, "maxretry", strconv.Itoa(n))
}

// AddIgnoreIP adds an address, network or host name to a jail's ignore
// list and returns the new list.
func (c *Client) AddIgnoreIP(ctx context.Context, jail, entry string) ([]string, error) {
	return c.ignoreIP(ctx, jail, "addignoreip", entry)
}

// DelIgnoreIP removes an entry from a jail's ignore list and returns the
// new list.
func (c *Client) DelIgnoreIP(ctx context.Context, jail, entry string) ([]string, error) {
	return c.ignoreIP(ctx, jail, "delignoreip", entry)
}

func (c *Client) ignoreIP(ctx context.Context, jail, op, entry string) ([]string, error) {
	if err := core.ValidateJailName(jail); err != nil {
		return nil, err
	}
	e, err := core.NormalizeIgnoreEntry(entry)
	if err != nil {
		return nil, err
	}
	return getStrings(ctx, c, "set", jail, op, e)
}

// StopJail stops a jail and removes it from the server until the next
// reload. Its bans are lifted by its actions.
func (c *Client) StopJail(ctx context.Context, jail string) error {
	if err := core.ValidateJailName(jail); err != nil {
		return err
	}
	_, err := c.call(ctx, 0, "stop", jail)
	return err
}

// Overview returns the status of every jail: counters from the short form
// where the server has it (no banned-IP lists, cheap on big jails), the full
// form on older servers. Idle is set for jails this client put to idle:
// fail2ban has no command to read it back.
func (c *Client) Overview(ctx context.Context) ([]core.JailStatus, error) {
	jails, err := c.Jails(ctx)
	if err != nil {
		return nil, err
	}
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	short := featShort.supports(v)
	out := make([]core.JailStatus, 0, len(jails))
	for _, j := range jails {
		st, err := c.jailStatus(ctx, j, short)
		if err != nil {
			return nil, err
		}
		st.BannedIPs = nil
		st.Idle = c.idleOf(j)
		out = append(out, st)
	}
	return out, nil
}
