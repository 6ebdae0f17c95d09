package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Formatting shared by the views. Times are shown in the workstation's
// local zone.

const clockLayout = "2006-01-02 15:04:05"

func formatClock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(clockLayout)
}

// formatLeft renders a remaining duration compactly: "4m 05s", "2h 10m",
// "3d 4h"; "permanent" for -1; "expired" for 0.
func formatLeft(d time.Duration) string {
	switch {
	case d < 0:
		return "permanent"
	case d == 0:
		return "expired"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

// formatCount renders a counter with thin grouping: 12 345.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	if n < 10000 && n > -10000 {
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	pre := len(s) % 3
	for i := range len(s) {
		if i > 0 && (i-pre)%3 == 0 && s[i-1] != '-' {
			out = append(out, ' ')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return formatCount(n) + " " + many
}

// formatAge renders how long ago something was, roughly: "12 s", "5 min",
// "3 h", "2 days".
func formatAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0 s"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// optionalNumber reads a whole number typed in an optional field: 0 for an
// empty field; ok is false for text that is not a number.
func optionalNumber(text string) (n int, ok bool) {
	t := strings.ReplaceAll(strings.TrimSpace(text), ",", "")
	if t == "" {
		return 0, true
	}
	n, err := strconv.Atoi(t)
	return n, err == nil
}
