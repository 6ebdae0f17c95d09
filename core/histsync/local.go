package histsync

import (
	"context"
	"time"

	"github.com/bangui/bangui/core"
	"github.com/bangui/bangui/core/f2b"
	"github.com/bangui/bangui/core/f2bdb"
)

// LocalTarget syncs a server whose database file this machine can open:
// the client asks fail2ban where the file is and how long it keeps rows.
func LocalTarget(s core.Server, c *f2b.Client) Target {
	return Target{
		Server: s,
		Info: func(ctx context.Context) (string, time.Duration, error) {
			path, _, err := c.DBFile(ctx) // none: Open says so
			if err != nil {
				return "", 0, err
			}
			purge, err := c.DBPurgeAge(ctx)
			if err != nil {
				purge = 0 // only used for a warning
			}
			return path, purge, nil
		},
		Open: OpenFile,
	}
}

// OpenFile opens a fail2ban database file on this machine.
func OpenFile(ctx context.Context, path string) (Reader, error) {
	db, err := f2bdb.Open(ctx, path)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return db, nil
}
