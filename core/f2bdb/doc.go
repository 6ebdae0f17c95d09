// Package f2bdb reads fail2ban's own SQLite database (dbfile, by default
// /var/lib/fail2ban/fail2ban.sqlite3, mode 0600 root), read-only, while the
// server keeps writing it.
//
// The tables it reads (layout version 4, fail2ban 0.11 to 1.1):
//
//   - bans: the history, one row per ban (jail, ip, timeofban in unix
//     seconds, bantime in seconds with -1 for permanent, bancount, data).
//     Natural expiry keeps the rows; "unbanip" deletes that IP's rows;
//     fail2ban's hourly purge deletes rows older than dbpurgeage (1 day by
//     default). See Bans for what this means for a rowid cursor.
//   - bips: the current/last ban per (ip, jail), written with INSERT OR
//     REPLACE. Layouts 2 and 3 have no bips; Current then takes the newest
//     bans row of each pair.
//
// The data column is a BLOB holding UTF-8 JSON (text in older versions):
// "failures", a "matches" list whose elements are either a log line or a
// [prefix, date, rest] list that concatenates to one, and the failregex's
// named groups ("ip4", "ip6", "fid"...). See BanRecord.
//
// fail2ban writes with journal_mode=MEMORY (no WAL) and waits at most 5 s
// for a lock, so a reader that held a read transaction longer would make it
// lose rows. Every query here is one SELECT whose rows are copied out
// before their JSON is decoded; MaxLimit rows take about 50 ms.
package f2bdb
