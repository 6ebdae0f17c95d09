-- 0006_blocklists: lists of bad addresses published on the web that the
-- app bans in a jail on some servers, what each list banned where, and the
-- log of the imports. Times are unix seconds (UTC) unless a column says
-- otherwise. Only public list URLs are stored: a URL holding a user name or
-- password is refused before it gets here, so no credential is ever kept.

CREATE TABLE blocklist_sources (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    url           TEXT    NOT NULL,
    jail          TEXT    NOT NULL,
    -- which servers: '' every server, 'group:NAME' or 'server:ID'
    target        TEXT    NOT NULL DEFAULT '',
    -- '' by hand only, an interval ('6h') or a cron expression
    schedule      TEXT    NOT NULL DEFAULT '',
    max_entries   INTEGER NOT NULL CHECK (max_entries > 0),
    unban_dropped INTEGER NOT NULL DEFAULT 0 CHECK (unban_dropped IN (0, 1)),
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    -- the HTTP validators of the last download, for a conditional GET
    etag          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

-- The addresses each source banned, per server and jail: the only ones an
-- import may unban when they leave the list, and how the history sync
-- tells a list's bans from manual ones. Deleting a source or a server
-- deletes its rows (the bans themselves stay on the servers).
CREATE TABLE blocklist_entries (
    source_id INTEGER NOT NULL REFERENCES blocklist_sources (id) ON DELETE CASCADE,
    server_id INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    jail      TEXT    NOT NULL,
    ip        TEXT    NOT NULL,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (source_id, server_id, jail, ip)
) STRICT, WITHOUT ROWID;

-- The history sync's look-up (which source banned this address here),
-- also used by the cascade when a server is deleted.
CREATE INDEX blocklist_entries_ip ON blocklist_entries (server_id, jail, ip);

-- One row per import of a source on one server, plus one (server_id NULL,
-- server_name '') for the download and parse all its servers share. The
-- names are kept when the source or server is deleted (their ids become
-- NULL), so the log still says what ran where. started_at is in unix
-- milliseconds, as in the activity log. bad_lines is a JSON array of
-- strings: the first refused lines of the list, with why.
CREATE TABLE blocklist_runs (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER REFERENCES blocklist_sources (id) ON DELETE SET NULL,
    source_name TEXT    NOT NULL,
    server_id   INTEGER REFERENCES servers (id) ON DELETE SET NULL,
    server_name TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0,
    entries     INTEGER NOT NULL DEFAULT 0,
    valid       INTEGER NOT NULL DEFAULT 0,
    invalid     INTEGER NOT NULL DEFAULT 0,
    new_bans    INTEGER NOT NULL DEFAULT 0,
    already     INTEGER NOT NULL DEFAULT 0,
    unbanned    INTEGER NOT NULL DEFAULT 0,
    status      TEXT    NOT NULL
                CHECK (status IN ('ok', 'unchanged', 'failed', 'cancelled')),
    error       TEXT    NOT NULL DEFAULT '',
    bad_lines   TEXT    NOT NULL DEFAULT '[]'
) STRICT;

CREATE INDEX blocklist_runs_started ON blocklist_runs (started_at);
CREATE INDEX blocklist_runs_source_started ON blocklist_runs (source_id, started_at);
CREATE INDEX blocklist_runs_server ON blocklist_runs (server_id);
