package activity

import (
	"context"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
)

// Client is a server's fail2ban client whose state-changing calls go
// through a Service, so each one is recorded before and after it runs;
// reads pass straight through to the embedded *f2b.Client. Views use it
// exactly like the plain client.
type Client struct {
	*f2b.Client
	svc    *Service
	server core.Server
}

// Wrap returns c with its changes recorded by svc for server s.
func Wrap(c *f2b.Client, svc *Service, s core.Server) *Client {
	return &Client{Client: c, svc: svc, server: s}
}

// BanIP bans addresses in a jail, recorded.
func (c *Client) BanIP(ctx context.Context, jail string, ips []string, p core.Progress) (core.BatchResult, error) {
	return c.svc.Ban(ctx, c.server, c.Client, jail, ips, p)
}

// UnbanIP lifts bans in a jail, recorded.
func (c *Client) UnbanIP(ctx context.Context, jail string, ips []string, p core.Progress) (core.BatchResult, error) {
	return c.svc.Unban(ctx, c.server, c.Client, jail, ips, p)
}

// Unban lifts addresses' bans in every jail, recorded.
func (c *Client) Unban(ctx context.Context, ips ...string) (int, error) {
	return c.svc.UnbanEverywhere(ctx, c.server, c.Client, ips)
}

// UnbanAll lifts every ban, recorded.
func (c *Client) UnbanAll(ctx context.Context) (int, error) {
	return c.svc.UnbanAll(ctx, c.server, c.Client)
}

// SetIdle switches a jail's idle mode, recorded.
func (c *Client) SetIdle(ctx context.Context, jail string, on bool) error {
	return c.svc.SetIdle(ctx, c.server, c.Client, jail, on)
}

// SetBanTime sets a jail's bantime at runtime, recorded.
func (c *Client) SetBanTime(ctx context.Context, jail, value string) (time.Duration, error) {
	return c.svc.SetBanTime(ctx, c.server, c.Client, jail, value)
}

// SetFindTime sets a jail's findtime at runtime, recorded.
func (c *Client) SetFindTime(ctx context.Context, jail, value string) (time.Duration, error) {
	return c.svc.SetFindTime(ctx, c.server, c.Client, jail, value)
}

// SetMaxRetry sets a jail's maxretry at runtime, recorded.
func (c *Client) SetMaxRetry(ctx context.Context, jail string, n int) (int, error) {
	return c.svc.SetMaxRetry(ctx, c.server, c.Client, jail, n)
}

// AddIgnoreIP adds an ignoreip entry at runtime, recorded.
func (c *Client) AddIgnoreIP(ctx context.Context, jail, entry string) ([]string, error) {
	return c.svc.AddIgnoreIP(ctx, c.server, c.Client, jail, entry)
}

// DelIgnoreIP removes an ignoreip entry at runtime, recorded.
func (c *Client) DelIgnoreIP(ctx context.Context, jail, entry string) ([]string, error) {
	return c.svc.DelIgnoreIP(ctx, c.server, c.Client, jail, entry)
}

// StopJail stops a jail, recorded.
func (c *Client) StopJail(ctx context.Context, jail string) error {
	return c.svc.StopJail(ctx, c.server, c.Client, jail)
}
