// Package migrations embeds BanGUI's SQLite schema migrations.
//
// Each file is named NNNN_name.sql (four digits, an underscore, a lower-case
// name) and holds the statements of one schema version. The store package
// applies them in lexical order, each file together with its bookkeeping row
// in one transaction. Files are never edited once released: a schema change
// is a new file with the next number. No table may ever hold a secret
// (passwords, private keys, passphrases); those stay with the system's SSH
// agent and keyring.
package migrations

import "embed"

// FS holds the migration files, for store.Open and store.Migrate.
//
//go:embed *.sql
var FS embed.FS
