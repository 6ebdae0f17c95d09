-- 0004_geo: where banned addresses come from.
--
-- Country codes in the cache: ISO 3166-1 alpha-2 ('FR'), '?' when no geo
-- source knows the address, '-' for addresses that are not routable
-- (private, loopback, documentation and other reserved ranges), and ''
-- for an address not located yet.

-- Every ban row carries the country it is counted under in ban_daily_geo,
-- so moving an address to another country (a better database, an online
-- answer) keeps the roll-up exact.
ALTER TABLE bans ADD COLUMN country TEXT NOT NULL DEFAULT '';

-- The map's roll-up: ban_daily with the country in its key, so the map's
-- totals for any range, server, jail and origin come from a roll-up like
-- the dashboard's. ban_daily itself stays as it was: with ~150 countries
-- this table has tens of times its rows, which the dashboard need not
-- read.
CREATE TABLE ban_daily_geo (
    day       INTEGER NOT NULL,
    server_id INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    jail      TEXT    NOT NULL,
    origin    TEXT    NOT NULL,
    country   TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (day, server_id, jail, origin, country)
) STRICT, WITHOUT ROWID;

CREATE INDEX ban_daily_geo_server ON ban_daily_geo (server_id);
-- Long ranges read it in country order (no sort); with the key's columns
-- that every index of a WITHOUT ROWID table carries, it covers every
-- filter.
CREATE INDEX ban_daily_geo_country ON ban_daily_geo (country, day, n);

-- Bans cached before this migration are not located yet ('').
INSERT INTO ban_daily_geo (day, server_id, jail, origin, country, n)
    SELECT day, server_id, jail, origin, '', n FROM ban_daily;

-- The country all of an address's ban rows are counted under; '' when not
-- located yet, or when its rows may disagree (rows stored by a sync after
-- the geo sources changed): the geo task then locates it again.
ALTER TABLE ban_ip_total ADD COLUMN country TEXT NOT NULL DEFAULT '';
CREATE INDEX ban_ip_total_country ON ban_ip_total (country, n);

-- Answers of the online geo service (only when the user turned it on),
-- also negative ones: an address the service did not know is not asked
-- again before retry_at. Answers of the local MaxMind DB files are not
-- kept: they cost less to look up again than to read back, and stay right
-- when a database file is replaced. Times are unix seconds.
CREATE TABLE geo_cache (
    ip          TEXT    PRIMARY KEY,
    country     TEXT    NOT NULL,
    asn         INTEGER NOT NULL DEFAULT 0,
    org         TEXT    NOT NULL DEFAULT '',
    source      TEXT    NOT NULL,
    resolved_at INTEGER NOT NULL,
    -- the last time the app used this answer; rows unseen for
    -- geo.retention_days (default 90) are deleted by the nightly task
    last_seen   INTEGER NOT NULL,
    -- for negative answers (country '?'): when to ask again
    retry_at    INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE INDEX geo_cache_last_seen ON geo_cache (last_seen);
