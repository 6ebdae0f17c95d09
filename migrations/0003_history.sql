-- 0003_history: the ban history cache, its roll-ups, the sync cursors, the
-- background task state and the scheduler lock row.
--
-- bans keeps every ban copied from each server's fail2ban database, also
-- after fail2ban purged it (dbpurgeage) or deleted it on unban: outliving
-- fail2ban's own history is the point. Times are unix seconds (UTC) unless
-- a column says otherwise. A row is identified by (time_of_ban, server_id,
-- jail, ip): copying it twice stores it once. The index starts with the
-- time so that time ranges, the history's keyset paging and the sync's
-- appends (rows arrive in time order) all walk it in order.

CREATE TABLE bans (
    id          INTEGER PRIMARY KEY,
    server_id   INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    jail        TEXT    NOT NULL,
    ip          TEXT    NOT NULL,
    time_of_ban INTEGER NOT NULL,
    -- seconds; -1 permanent, -2 unknown (fail2ban 0.9/0.10 databases)
    ban_time    INTEGER NOT NULL,
    ban_count   INTEGER NOT NULL DEFAULT 1,
    failures    INTEGER NOT NULL DEFAULT 0,
    -- the matched log lines, a JSON array of strings ('' when none)
    matches     TEXT    NOT NULL DEFAULT '',
    origin      TEXT    NOT NULL CHECK (origin IN ('auto', 'manual', 'blocklist')),
    -- for origin 'blocklist': the list's name
    source      TEXT    NOT NULL DEFAULT '',
    synced_at   INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX bans_key ON bans (time_of_ban, server_id, jail, ip);
CREATE INDEX bans_ip ON bans (ip, time_of_ban);
CREATE INDEX bans_server ON bans (server_id);

-- Roll-ups kept in step with bans by the writer (same transaction), so the
-- dashboard never scans a year of rows. day is the UTC day number
-- (time_of_ban / 86400).
CREATE TABLE ban_daily (
    day       INTEGER NOT NULL,
    server_id INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    jail      TEXT    NOT NULL,
    origin    TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (day, server_id, jail, origin)
) STRICT, WITHOUT ROWID;

CREATE INDEX ban_daily_server ON ban_daily (server_id);

-- Bans per IP over all time and servers: an upper bound that lets the
-- dashboard find the top IPs of a range without counting every IP.
CREATE TABLE ban_ip_total (
    ip TEXT    PRIMARY KEY,
    n  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX ban_ip_total_n ON ban_ip_total (n);

-- Where each server's sync got to, per jail: the newest time_of_ban copied
-- and the fail2ban rowid of that row (a tie-break only: fail2ban reuses
-- rowids). Written in the same transaction as the rows it covers.
CREATE TABLE sync_cursor (
    server_id   INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    jail        TEXT    NOT NULL,
    time_of_ban INTEGER NOT NULL,
    row_id      INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (server_id, jail)
) STRICT, WITHOUT ROWID;

-- The last sync of each server, for the dashboard's status line.
CREATE TABLE sync_state (
    server_id    INTEGER PRIMARY KEY REFERENCES servers (id) ON DELETE CASCADE,
    attempted_at INTEGER NOT NULL DEFAULT 0,
    synced_at    INTEGER NOT NULL DEFAULT 0,
    db_path      TEXT    NOT NULL DEFAULT '',
    copied       INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    warning      TEXT    NOT NULL DEFAULT ''
) STRICT;

-- The one copy of the app that runs background tasks holds this row.
-- Times in unix milliseconds.
CREATE TABLE scheduler_lock (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    instance     TEXT    NOT NULL,
    pid          INTEGER NOT NULL,
    hostname     TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
) STRICT;

-- The last run of each background task, whichever copy ran it. Times in
-- unix milliseconds.
CREATE TABLE task_state (
    name        TEXT    PRIMARY KEY,
    started_at  INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER NOT NULL DEFAULT 0,
    status      TEXT    NOT NULL DEFAULT '',
    result      TEXT    NOT NULL DEFAULT '',
    instance    TEXT    NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;
