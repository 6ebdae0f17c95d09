package core

import (
	"fmt"
	"strings"
	"time"
)

// FormatDuration writes d in fail2ban's own units, largest first:
// "10m", "1h30m", "7d", "2w3d"; "forever" for a negative d, "0s" for zero.
// Parts below a second are dropped.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "forever"
	}
	rest := int64(d / time.Second)
	if rest == 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		secs int64
	}{{"w", 7 * 86400}, {"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}} {
		if rest >= u.secs {
			fmt.Fprintf(&b, "%d%s", rest/u.secs, u.name)
			rest %= u.secs
		}
	}
	return b.String()
}
