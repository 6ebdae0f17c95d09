#!/usr/bin/env bash
# install-deps.sh MODE — install the Debian 12 packages BanGUI needs.
#
#   run   what `go build` / `go run ./cmd/bangui` needs: a C compiler and the
#         cgo headers of GLFW 3.3 / OpenGL used by Fyne 2.7.1.
#   package  the above plus tar and xz-utils: what `make package`
#         (scripts/package.sh, which runs `fyne package`) needs.
#   test  the above plus what the test suite runs for real: a private
#         fail2ban-server (core/f2b/f2btest), sshd, sqlite3, socat, and a
#         headless X server with software GL and screenshot tools for the
#         window smoke test (cmd/bangui/smoke_test.go); the packaging test
#         (cmd/bangui/package_test.go) runs scripts/package.sh.
#
# Needs root (or sudo) only when something is missing: when every package
# is already installed it prints so and does not call apt at all, so
# repeated local runs are fast. A fresh machine (CI) gets everything
# installed. Safe to run again at any time.
#
# Nothing is downloaded besides Debian packages: Go must already be
# installed (/usr/local/go/bin/go or on PATH). The fyne CLI is not installed
# here: scripts/package.sh installs its pinned version from the Go module
# proxy when it first needs it.
set -euo pipefail

usage() {
	echo "usage: $0 run|package|test" >&2
	exit 2
}

[ $# -eq 1 ] || usage
mode=$1

# Fyne 2.7.1 builds GLFW 3.3's X11 backend with cgo.
run_pkgs=(
	gcc pkg-config libc6-dev
	libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
	libxinerama-dev libxi-dev libxxf86vm-dev
)
# `fyne package` builds like `run`, then shells out to tar -J (xz).
# scripts/package.sh installs the fyne CLI from the Go module proxy (HTTPS).
package_pkgs=(
	"${run_pkgs[@]}"
	tar xz-utils ca-certificates
)
test_pkgs=(
	"${package_pkgs[@]}"
	# real services driven by the tests (never the system's own instances)
	fail2ban openssh-server sqlite3 socat sudo python3
	# real window under a virtual X server: Xvfb, Mesa's software GL
	# (swrast_dri.so; Xvfb does not pull it in), screenshots, window lookup,
	# a session D-Bus for the tray, the .desktop file checker
	xvfb xauth libgl1-mesa-dri libglx-mesa0 imagemagick xdotool dbus-daemon desktop-file-utils
)

case $mode in
run) pkgs=("${run_pkgs[@]}") ;;
package) pkgs=("${package_pkgs[@]}") ;;
test) pkgs=("${test_pkgs[@]}") ;;
*) usage ;;
esac

# --- Go ----------------------------------------------------------------------
# Go cannot be downloaded on these machines, so a missing or too old Go is a
# hard error with a clear message rather than a toolchain download attempt.
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
need_go=$(awk '$1 == "go" {print $2; exit}' "$repo_root/go.mod" 2>/dev/null || true)
if [ -x /usr/local/go/bin/go ]; then
	go_bin=/usr/local/go/bin/go
elif command -v go >/dev/null 2>&1; then
	go_bin=$(command -v go)
else
	echo "install-deps: Go not found: expected /usr/local/go/bin/go or 'go' on PATH." >&2
	echo "install-deps: install Go ${need_go:-(see go.mod)} or newer into /usr/local/go (it cannot be downloaded by this script)." >&2
	exit 1
fi
have_go=$(GOTOOLCHAIN=local "$go_bin" env GOVERSION)
have_go=${have_go#go}
if [ -n "$need_go" ] && [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -n1)" != "$need_go" ]; then
	echo "install-deps: $go_bin is Go $have_go but go.mod needs Go $need_go or newer (no toolchain can be downloaded here)." >&2
	exit 1
fi
echo "install-deps: using $go_bin (go$have_go)"

# --- Debian packages -----------------------------------------------------------
missing=()
for p in "${pkgs[@]}"; do
	if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages for '$mode' are already installed; skipping apt"
	exit 0
fi
echo "install-deps: missing for '$mode': ${missing[*]}"

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "install-deps: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
		exit 1
	fi
	sudo=(sudo)
fi

# SAFETY: installing fail2ban or openssh-server must never start the
# machine's own fail2ban (which would add firewall rules, and ban on port 22)
# or sshd (port 22). Debian's maintainer scripts start services through
# invoke-rc.d / deb-systemd-invoke, which ask /usr/sbin/policy-rc.d first;
# "exit 101" means "action forbidden". If there is no policy-rc.d we put one
# in place for the duration of the install and remove it again afterwards
# (trap, also on failure or Ctrl-C). An existing policy-rc.d (Docker images
# ship one that exits 101) is left alone, but it must forbid starting
# fail2ban, else we stop here.
policy=/usr/sbin/policy-rc.d
created_policy=0
remove_policy() {
	if [ "$created_policy" -eq 1 ]; then
		"${sudo[@]}" rm -f "$policy"
		created_policy=0
	fi
}
trap remove_policy EXIT
trap 'exit 130' INT TERM
starts_services=0
for p in "${missing[@]}"; do
	case $p in fail2ban | openssh-server) starts_services=1 ;; esac
done
if [ -e "$policy" ]; then
	rc=0
	"$policy" fail2ban start >/dev/null 2>&1 || rc=$?
	if [ "$rc" -ne 101 ] && [ "$starts_services" -eq 1 ]; then
		echo "install-deps: $policy exists but allows starting services (exit $rc, want 101);" >&2
		echo "install-deps: refusing to install packages that would start fail2ban or sshd. Install by hand: ${missing[*]}" >&2
		exit 1
	fi
else
	printf '#!/bin/sh\n# Temporary, from BanGUI scripts/install-deps.sh: no service starts during apt-get install.\nexit 101\n' |
		"${sudo[@]}" tee "$policy" >/dev/null
	created_policy=1
	"${sudo[@]}" chmod 755 "$policy"
fi

apt_opts=(-o DPkg::Lock::Timeout=300)
t0=$SECONDS
"${sudo[@]}" apt-get "${apt_opts[@]}" update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"

# On a machine run by systemd, packaging also *enables* the new services, so
# they would start at the next boot. Undo that for the ones we just
# installed (they were not there before, so this restores the old state).
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	units=()
	for p in "${missing[@]}"; do
		case $p in
		fail2ban) units+=(fail2ban.service) ;;
		openssh-server) units+=(ssh.service) ;;
		esac
	done
	if [ ${#units[@]} -gt 0 ]; then
		echo "install-deps: disabling ${units[*]} (installed only for tests; not started)"
		"${sudo[@]}" systemctl disable --quiet "${units[@]}" || true
	fi
fi

remove_policy
echo "install-deps: installed ${#missing[@]} packages in $((SECONDS - t0)) s"
