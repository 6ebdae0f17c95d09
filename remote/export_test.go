package remote

// MustCode is mustCodeMsg for the external tests (ssh_integration_test.go).
var MustCode = mustCodeMsg
