package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bangui/bangui/core"
)

var _ core.IPSightings = (*DB)(nil)

// ipSeenQuery groups an address's bans by server and jail. The WHERE
// clause (ipCond) is an equality or a text range on bans.ip, so SQLite
// walks the bans_ip index (ip, time_of_ban) and reads only that address's
// rows; the grouping and the ordering then sort that handful in a
// temporary b-tree.
const ipSeenQuery = `SELECT b.server_id, coalesce(s.name, ''), b.jail,
	min(b.time_of_ban), max(b.time_of_ban), count(*)
	FROM bans b LEFT JOIN servers s ON s.id = b.server_id%s
	GROUP BY b.server_id, b.jail
	ORDER BY max(b.time_of_ban) DESC, b.server_id, b.jail`

// IPSeen returns every (server, jail) whose cached history bans ip, with
// its first and last ban and how many bans, latest first (ties by server
// id, then jail). ip is an address (IPv4-mapped IPv6 counts as IPv4) or a
// CIDR block; see core.IPSightings.
func (db *DB) IPSeen(ctx context.Context, ip string) ([]core.IPSighting, error) {
	w := &where{}
	if err := ipCond(w, strings.TrimSpace(ip)); err != nil {
		return nil, err
	}
	rows, err := db.Read.QueryContext(ctx, fmt.Sprintf(ipSeenQuery, w.String()), w.args...)
	if err != nil {
		return nil, fmt.Errorf("store: where %s was banned: %w", ip, err)
	}
	defer rows.Close()
	var out []core.IPSighting
	for rows.Next() {
		var s core.IPSighting
		var first, last int64
		if err := rows.Scan(&s.ServerID, &s.Server, &s.Jail, &first, &last, &s.Count); err != nil {
			return nil, fmt.Errorf("store: where %s was banned: %w", ip, err)
		}
		s.First, s.Last = time.Unix(first, 0), time.Unix(last, 0)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: where %s was banned: %w", ip, err)
	}
	return out, nil
}
