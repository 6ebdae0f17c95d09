-- 0005_server_fleet: servers in groups, a transport chosen per server, and
-- how an SSH server logs in. No secret is stored: a password login asks
-- for the password when it connects and keeps it in memory only.

-- grp: a free-text group name ('' = no group), for views of a group.
ALTER TABLE servers ADD COLUMN grp TEXT NOT NULL DEFAULT '';

-- transport: how an SSH server reaches fail2ban: '' chooses automatically
-- (streamlocal for root, else a sudo relay with socat or python3), or one
-- of them forced.
ALTER TABLE servers ADD COLUMN transport TEXT NOT NULL DEFAULT ''
    CHECK (transport IN ('', 'streamlocal', 'socat', 'python3'));

-- auth: '' = the agent and key files; 'ask' = ask the user for the
-- login's secret (password or keyboard-interactive) on connect.
ALTER TABLE servers ADD COLUMN auth TEXT NOT NULL DEFAULT ''
    CHECK (auth IN ('', 'ask'));

CREATE INDEX servers_grp ON servers (grp, name);
