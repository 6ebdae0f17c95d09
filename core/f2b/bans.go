package f2b

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
)

// banLineRE matches one entry of `get <jail> banip --with-time`:
// "192.0.2.10 \t2026-11-27 02:42:29 + 600 = 2026-11-27 02:52:29".
var banLineRE = regexp.MustCompile(`^(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \+ (-?\d+) = (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$`)

const timeLayout = "2006-01-02 15:04:05"

// Bans returns the current bans of a jail with their times
// (`get <jail> banip --with-time`, fail2ban 0.11.1 and newer), in the
// server's order (by end of ban). Times are read in Config.Location.
func (c *Client) Bans(ctx context.Context, jail string) ([]core.Ban, error) {
	if err := core.ValidateJailName(jail); err != nil {
		return nil, err
	}
	if err := c.require(ctx, featWithTime); err != nil {
		return nil, err
	}
	args := []string{"get", jail, "banip", "--with-time"}
	lines, err := getStrings(ctx, c, args...)
	if err != nil {
		return nil, err
	}
	out := make([]core.Ban, 0, len(lines))
	for _, l := range lines {
		b, err := parseBanLine(l, c.cfg.Location)
		if err != nil {
			return nil, userError(args, err)
		}
		b.Jail = jail
		out = append(out, b)
	}
	return out, nil
}

// parseBanLine reads one --with-time entry. A permanent ban reads
// "+ -1 = 9999-12-31 23:59:59": it gets Permanent and no end.
func parseBanLine(s string, loc *time.Location) (core.Ban, error) {
	m := banLineRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return core.Ban{}, &ProtocolError{Msg: "unreadable ban entry " + strconv.Quote(s)}
	}
	start, err := time.ParseInLocation(timeLayout, m[2], loc)
	if err != nil {
		return core.Ban{}, &ProtocolError{Msg: "unreadable ban start " + strconv.Quote(m[2])}
	}
	secs, err := strconv.Atoi(m[3])
	if err != nil {
		return core.Ban{}, &ProtocolError{Msg: "unreadable ban time " + strconv.Quote(m[3])}
	}
	b := core.Ban{IP: m[1], Start: start}
	if secs < 0 {
		b.Permanent = true
		return b, nil
	}
	b.BanTime = time.Duration(secs) * time.Second
	if b.End, err = time.ParseInLocation(timeLayout, m[4], loc); err != nil {
		return core.Ban{}, &ProtocolError{Msg: "unreadable ban end " + strconv.Quote(m[4])}
	}
	return b, nil
}

// Progress is told, after each batch, how many addresses are done.
type Progress = core.Progress

// AllBans returns the current bans of every jail, jail by jail in the
// server's order.
func (c *Client) AllBans(ctx context.Context) ([]core.Ban, error) {
	jails, err := c.Jails(ctx)
	if err != nil {
		return nil, err
	}
	var out []core.Ban
	for _, j := range jails {
		bans, err := c.Bans(ctx, j)
		if err != nil {
			return nil, err
		}
		out = append(out, bans...)
	}
	return out, nil
}

// BanIP bans addresses in a jail, many per command. The list is validated
// whole before anything is sent (IPs and CIDR networks; duplicates are
// dropped). Each batch gets a timeout that grows with its size, because the
// server runs the ban action for every address before it answers. On an
// error the result counts the batches the server confirmed, and the error
// says how far the job got.
func (c *Client) BanIP(ctx context.Context, jail string, ips []string, progress Progress) (core.BatchResult, error) {
	return c.batch(ctx, jail, "banip", ips, progress)
}

// UnbanIP lifts bans in a jail, many per command; addresses that are not
// banned count as unchanged. A CIDR lifts only a ban of that very network
// (fail2ban 1.0.2 keeps a network ban as one opaque entry), not the bans
// of addresses inside it.
func (c *Client) UnbanIP(ctx context.Context, jail string, ips []string, progress Progress) (core.BatchResult, error) {
	return c.batch(ctx, jail, "unbanip", ips, progress)
}

func (c *Client) batch(ctx context.Context, jail, op string, ips []string, progress Progress) (core.BatchResult, error) {
	if err := core.ValidateJailName(jail); err != nil {
		return core.BatchResult{}, err
	}
	list, err := core.NormalizeIPs(ips, true)
	if err != nil {
		return core.BatchResult{}, err
	}
	res := core.BatchResult{Requested: len(list)}
	for start := 0; start < len(list); start += c.cfg.BatchSize {
		if err := ctx.Err(); err != nil {
			return res, userError([]string{"set", jail, op}, err)
		}
		end := min(start+c.cfg.BatchSize, len(list))
		part := list[start:end]
		args := append([]string{"set", jail, op}, part...)
		v, err := c.call(ctx, time.Duration(len(part))*c.cfg.PerIP, args...)
		if err != nil {
			return res, batchError(err, res, start, len(part))
		}
		n, err := asInt(v)
		if err != nil {
			return res, userError(args[:3], err)
		}
		res.Changed += n
		res.Batches++
		if progress != nil {
			progress(end, len(list))
		}
	}
	return res, nil
}

// batchError adds to a failed batch's error what is known of the job: how
// many addresses were confirmed, and that the failed batch may still be
// applied by the server (it runs a command to the end even when nobody
// waits for the answer).
func batchError(err error, res core.BatchResult, start, size int) error {
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code == core.EINVALID {
		return err
	}
	msg := fmt.Sprintf("%s. %d of %d addresses were confirmed", ce.Message, start, res.Requested)
	var ns *notSentError
	if (ce.Code == core.EUNAVAILABLE || ce.Code == core.ECANCELED) && !errors.As(err, &ns) {
		msg += fmt.Sprintf("; fail2ban may still be applying the next %d: refresh to see what it holds", size)
	}
	return core.Wrap(err, ce.Code, msg)
}

// Unban lifts bans of addresses in every jail (`unban IP...`) and returns
// how many bans were lifted. It also deletes them from the server's
// database.
func (c *Client) Unban(ctx context.Context, ips ...string) (int, error) {
	list, err := core.NormalizeIPs(ips, true)
	if err != nil {
		return 0, err
	}
	return getIntExtra(ctx, c, time.Duration(len(list))*c.cfg.PerIP, append([]string{"unban"}, list...)...)
}

// UnbanAll lifts every ban in every jail and empties the server's ban
// tables. It can take long: the unban action runs for each address. The
// caller must have confirmed it with the user.
func (c *Client) UnbanAll(ctx context.Context) (int, error) {
	// The count is unknown before; allow for a large jail.
	return getIntExtra(ctx, c, 10*time.Minute, "unban", "--all")
}

func getIntExtra(ctx context.Context, c *Client, extra time.Duration, args ...string) (int, error) {
	v, err := c.call(ctx, extra, args...)
	if err != nil {
		return 0, err
	}
	n, err := asInt(v)
	if err != nil {
		return 0, userError(args[:1], err)
	}
	return n, nil
}
