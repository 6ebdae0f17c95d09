// Package core is BanGUI's domain root: the plain types every layer shares
// (servers, jails, bans, versions), the errors callers branch on, the
// validation rules for anything that is sent to a fail2ban server, and the
// interfaces core's services consume.
//
// core and its subpackages import neither fyne.io nor golang.org/x/crypto/ssh;
// TestCoreImportBoundary enforces it. Implementations that need those live
// in ui/ and remote/, which depend on core, never the other way round.
package core
