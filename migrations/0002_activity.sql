-- 0002_activity: the activity log. Every operator action (ban, unban,
-- jail edits, stop, reload...) gets a row before it runs ('running') and is
-- finished after it ran ('ok', 'failed', 'cancelled'); rows left 'running'
-- by a crash become 'interrupted' at the next start. Times are unix
-- milliseconds (UTC).
--
-- server_name is kept when the server is deleted (server_id becomes NULL),
-- so the log still says where an action ran. args is a JSON array of
-- strings; long lists are cut by the store with a final "…(+N more)" entry.
-- No secrets are ever stored here: actions carry addresses, jail names and
-- settings, never credentials.

CREATE TABLE activity (
    id          INTEGER PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    server_id   INTEGER REFERENCES servers (id) ON DELETE SET NULL,
    server_name TEXT    NOT NULL,
    jail        TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    args        TEXT    NOT NULL DEFAULT '[]',
    status      TEXT    NOT NULL
                CHECK (status IN ('running', 'ok', 'failed', 'cancelled', 'interrupted')),
    result      TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX activity_started ON activity (started_at);
CREATE INDEX activity_server_started ON activity (server_id, started_at);
CREATE INDEX activity_action ON activity (action);
