package activity

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
)

// Jails is the part of the fail2ban client that changes a server's state;
// *f2b.Client implements it. The methods validate their input and refuse
// bad input, with a core.EINVALID error, before anything is sent.
type Jails interface {
	BanIP(ctx context.Context, jail string, ips []string, progress core.Progress) (core.BatchResult, error)
	UnbanIP(ctx context.Context, jail string, ips []string, progress core.Progress) (core.BatchResult, error)
	Unban(ctx context.Context, ips ...string) (int, error)
	UnbanAll(ctx context.Context) (int, error)
	SetIdle(ctx context.Context, jail string, on bool) error
	SetBanTime(ctx context.Context, jail, value string) (time.Duration, error)
	SetFindTime(ctx context.Context, jail, value string) (time.Duration, error)
	SetMaxRetry(ctx context.Context, jail string, n int) (int, error)
	AddIgnoreIP(ctx context.Context, jail, entry string) ([]string, error)
	DelIgnoreIP(ctx context.Context, jail, entry string) ([]string, error)
	StopJail(ctx context.Context, jail string) error
}

// Service runs the operator's actions on a server's Jails and records each
// one through Rec, with its arguments as the user gave them and a result in
// words. Bad input is recorded too, as failed with the validation message;
// nothing reaches the server then. Every method returns what the Jails
// method returned, and the Recorder's error (see Recorder.Do). Actions
// without a method here (reloads, permanent edits) are recorded by calling
// Rec.Do around them.
type Service struct {
	Rec *Recorder
}

// maxListed is how many entries of a returned list (ignoreip) a result
// names before it says "… and N more".
const maxListed = 20

func activityOf(srv core.Server, jail, action string, args ...string) core.Activity {
	return core.Activity{ServerID: srv.ID, ServerName: srv.Name, Jail: jail, Action: action, Args: args}
}

// Ban bans ips in jail (ActionBan). The result reads "banned 3, already
// banned 1"; after a failed batch it says how many were banned before.
func (s *Service) Ban(ctx context.Context, srv core.Server, j Jails, jail string, ips []string, progress func(done, total int)) (core.BatchResult, error) {
	var res core.BatchResult
	err := s.Rec.Do(ctx, activityOf(srv, jail, core.ActionBan, ips...), func(ctx context.Context) (string, error) {
		var err error
		res, err = j.BanIP(ctx, jail, ips, progress)
		return batchResult(res, err, "banned", "already banned"), err
	})
	return res, err
}

// Unban lifts the bans of ips in jail (ActionUnban). The result reads
// "unbanned 2, not banned 1".
func (s *Service) Unban(ctx context.Context, srv core.Server, j Jails, jail string, ips []string, progress func(done, total int)) (core.BatchResult, error) {
	var res core.BatchResult
	err := s.Rec.Do(ctx, activityOf(srv, jail, core.ActionUnban, ips...), func(ctx context.Context) (string, error) {
		var err error
		res, err = j.UnbanIP(ctx, jail, ips, progress)
		return batchResult(res, err, "unbanned", "not banned"), err
	})
	return res, err
}

// UnbanEverywhere lifts the bans of ips in every jail of the server
// (ActionUnbanEverywhere) and returns how many bans were lifted. The result
// reads "lifted 3 bans of 2 addresses".
func (s *Service) UnbanEverywhere(ctx context.Context, srv core.Server, j Jails, ips []string) (int, error) {
	var n int
	err := s.Rec.Do(ctx, activityOf(srv, "", core.ActionUnbanEverywhere, ips...), func(ctx context.Context) (string, error) {
		var err error
		if n, err = j.Unban(ctx, ips...); err != nil {
			return "", err
		}
		return fmt.Sprintf("lifted %s of %s", plural(n, "ban"), plural(len(ips), "address")), nil
	})
	return n, err
}

// UnbanAll lifts every ban in every jail of the server (ActionUnbanAll) and
// returns how many were lifted. The caller must have confirmed it with the
// user.
func (s *Service) UnbanAll(ctx context.Context, srv core.Server, j Jails) (int, error) {
	var n int
	err := s.Rec.Do(ctx, activityOf(srv, "", core.ActionUnbanAll), func(ctx context.Context) (string, error) {
		var err error
		if n, err = j.UnbanAll(ctx); err != nil {
			return "", err
		}
		return "lifted " + plural(n, "ban"), nil
	})
	return n, err
}

// SetBanTime sets jail's bantime from a fail2ban time value
// (ActionSetBanTime) and returns what the server now holds. The result reads
// "bantime 3600 s" or "bantime -1 (permanent)".
func (s *Service) SetBanTime(ctx context.Context, srv core.Server, j Jails, jail, value string) (time.Duration, error) {
	return s.setTime(ctx, srv, jail, core.ActionSetBanTime, "bantime", value, j.SetBanTime)
}

// SetFindTime sets jail's findtime (ActionSetFindTime); see SetBanTime.
func (s *Service) SetFindTime(ctx context.Context, srv core.Server, j Jails, jail, value string) (time.Duration, error) {
	return s.setTime(ctx, srv, jail, core.ActionSetFindTime, "findtime", value, j.SetFindTime)
}

func (s *Service) setTime(ctx context.Context, srv core.Server, jail, action, key, value string,
	set func(ctx context.Context, jail, value string) (time.Duration, error)) (time.Duration, error) {
	var d time.Duration
	err := s.Rec.Do(ctx, activityOf(srv, jail, action, value), func(ctx context.Context) (string, error) {
		var err error
		if d, err = set(ctx, jail, value); err != nil {
			return "", err
		}
		if d < 0 {
			return key + " -1 (permanent)", nil
		}
		return fmt.Sprintf("%s %d s", key, int64(d/time.Second)), nil
	})
	return d, err
}

// SetMaxRetry sets jail's maxretry (ActionSetMaxRetry) and returns what the
// server now holds. The result reads "maxretry 5".
func (s *Service) SetMaxRetry(ctx context.Context, srv core.Server, j Jails, jail string, n int) (int, error) {
	var got int
	err := s.Rec.Do(ctx, activityOf(srv, jail, core.ActionSetMaxRetry, strconv.Itoa(n)), func(ctx context.Context) (string, error) {
		var err error
		if got, err = j.SetMaxRetry(ctx, jail, n); err != nil {
			return "", err
		}
		return "maxretry " + strconv.Itoa(got), nil
	})
	return got, err
}

// AddIgnoreIP adds entry to jail's ignore list (ActionAddIgnoreIP) and
// returns the new list, which the result names: "ignoreip: 127.0.0.1/8,
// 192.0.2.7".
func (s *Service) AddIgnoreIP(ctx context.Context, srv core.Server, j Jails, jail, entry string) ([]string, error) {
	return s.ignoreIP(ctx, srv, jail, core.ActionAddIgnoreIP, entry, j.AddIgnoreIP)
}

// DelIgnoreIP removes entry from jail's ignore list (ActionDelIgnoreIP);
// see AddIgnoreIP.
func (s *Service) DelIgnoreIP(ctx context.Context, srv core.Server, j Jails, jail, entry string) ([]string, error) {
	return s.ignoreIP(ctx, srv, jail, core.ActionDelIgnoreIP, entry, j.DelIgnoreIP)
}

func (s *Service) ignoreIP(ctx context.Context, srv core.Server, jail, action, entry string,
	edit func(ctx context.Context, jail, entry string) ([]string, error)) ([]string, error) {
	var list []string
	err := s.Rec.Do(ctx, activityOf(srv, jail, action, entry), func(ctx context.Context) (string, error) {
		var err error
		if list, err = edit(ctx, jail, entry); err != nil {
			return "", err
		}
		if len(list) == 0 {
			return "ignoreip is empty", nil
		}
		shown := list[:min(len(list), maxListed)]
		res := "ignoreip: " + strings.Join(shown, ", ")
		if more := len(list) - len(shown); more > 0 {
			res += fmt.Sprintf(" … and %d more", more)
		}
		return res, nil
	})
	return list, err
}

// SetIdle turns jail's idle mode on or off (ActionIdle, with the argument
// "on" or "off"). The result reads "idle on" or "idle off".
func (s *Service) SetIdle(ctx context.Context, srv core.Server, j Jails, jail string, on bool) error {
	arg := "off"
	if on {
		arg = "on"
	}
	return s.Rec.Do(ctx, activityOf(srv, jail, core.ActionIdle, arg), func(ctx context.Context) (string, error) {
		if err := j.SetIdle(ctx, jail, on); err != nil {
			return "", err
		}
		return "idle " + arg, nil
	})
}

// StopJail stops jail until the next reload (ActionStopJail). The result
// reads "stopped".
func (s *Service) StopJail(ctx context.Context, srv core.Server, j Jails, jail string) error {
	return s.Rec.Do(ctx, activityOf(srv, jail, core.ActionStopJail), func(ctx context.Context) (string, error) {
		if err := j.StopJail(ctx, jail); err != nil {
			return "", err
		}
		return "stopped", nil
	})
}

// batchResult words a batched ban or unban: "banned 3, already banned 1",
// or after an error "banned 250 before the error" (the error says how many
// addresses were confirmed), or "" when nothing was confirmed.
func batchResult(res core.BatchResult, err error, done, unchanged string) string {
	if err != nil {
		if res.Batches == 0 {
			return ""
		}
		return fmt.Sprintf("%s %d before the error", done, res.Changed)
	}
	s := fmt.Sprintf("%s %d", done, res.Changed)
	if n := res.Unchanged(); n > 0 {
		s += fmt.Sprintf(", %s %d", unchanged, n)
	}
	return s
}

// plural returns "1 ban", "3 bans", "1 address", "2 addresses".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
