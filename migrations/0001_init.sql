-- 0001_init: servers and settings. Times are unix seconds (UTC).
-- No secrets are ever stored here: SSH keys and passwords stay with the
-- SSH agent and ~/.ssh.

CREATE TABLE servers (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL CHECK (kind IN ('local', 'ssh')),
    socket     TEXT    NOT NULL DEFAULT '',
    config_dir TEXT    NOT NULL DEFAULT '',
    host       TEXT    NOT NULL DEFAULT '',
    port       INTEGER NOT NULL DEFAULT 0,
    user       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
