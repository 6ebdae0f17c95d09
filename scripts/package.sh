#!/usr/bin/env bash
# package.sh [-o DIR] — build the Linux release package of BanGUI with
# `fyne package`: DIR/BanGUI.tar.xz (default DIR: dist/ in the repo).
#
# The archive holds bangui/Makefile (targets install, uninstall, user-install,
# user-uninstall) and bangui/usr/local/{bin/bangui,
# share/applications/io.github.bangui.desktop, share/pixmaps/io.github.bangui.png}.
# The .desktop entry takes Name, Comment, Categories, Keywords from
# FyneApp.toml; the binary is built by fyne with
#   go build -trimpath -ldflags "-s -w" -tags release,migrated_fynedo
# (migrated_fynedo because FyneApp.toml has [Migrations] fyneDo = true).
#
# Why a staging copy: `fyne package` reads FyneApp.toml from the folder of the
# main package, but ours sits at the repo top level and the main package is
# cmd/bangui. fyne also writes into that folder while it works (a generated
# fyne_metadata_init.go, the binary) and afterwards rewrites FyneApp.toml with
# Build incremented. So the source (tracked and untracked, not ignored files)
# is copied to a temporary folder, FyneApp.toml is put next to the main
# package there, and fyne works on the copy: the working tree is never
# touched, and other builds or tests running in it see nothing. The build
# uses -trimpath, so the build cache is shared with earlier package builds.
#
# The fyne CLI (fyne.io/tools, pinned to FYNE_TOOLS_VERSION below) is
# installed from the Go module proxy into FYNE_BIN_DIR (default: the first
# entry of `go env GOPATH`, plus /bin) when that folder has no fyne of that
# exact version; otherwise the installed one is used (no network).
#
# Needs: Go, a C compiler and the cgo headers (scripts/install-deps.sh run),
# tar and xz (Debian packages tar, xz-utils): `scripts/install-deps.sh package`
# installs all of it. Exit status 3 means a prerequisite is missing or the
# fyne CLI could not be installed (the packaging test uses this to tell
# "cannot run here" from "packaging is broken"); any other failure is 1.
set -euo pipefail

FYNE_TOOLS_VERSION=v1.7.4

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_dir=$repo_root/dist
main_pkg=cmd/bangui

usage() {
	echo "usage: $0 [-o OUTPUT_DIR]   (default: $out_dir)" >&2
	exit 2
}
while getopts "o:h" opt; do
	case $opt in
	o) out_dir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage

say() { echo "package: $*"; }
missing() {
	echo "package: $*" >&2
	exit 3
}
die() {
	echo "package: $*" >&2
	exit 1
}

t0=$SECONDS

# --- prerequisites -------------------------------------------------------------
if [ -x /usr/local/go/bin/go ]; then
	go_bin=/usr/local/go/bin/go
elif command -v go >/dev/null 2>&1; then
	go_bin=$(command -v go)
else
	missing "Go not found (expected /usr/local/go/bin/go or 'go' on PATH)"
fi
# fyne runs "go build" from PATH: make it the same Go.
export PATH="$(dirname "$go_bin"):$PATH"

need=()
command -v tar >/dev/null 2>&1 || need+=("tar (Debian package tar)")
command -v xz >/dev/null 2>&1 || need+=("xz (Debian package xz-utils; fyne runs tar -J)")
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || need+=("a C compiler (Debian package gcc)")
if [ ${#need[@]} -gt 0 ]; then
	missing "missing: ${need[*]}. Install them with: scripts/install-deps.sh package"
fi

toml=$repo_root/FyneApp.toml
[ -f "$toml" ] || die "$toml not found"
# [Details] Icon, a path relative to FyneApp.toml.
icon=$(awk '
	/^[[:space:]]*\[/ { section = $0; gsub(/[][[:space:]]/, "", section); next }
	section == "Details" && $1 == "Icon" { sub(/^[^=]*=[[:space:]]*/, ""); gsub(/"/, ""); sub(/[[:space:]]+$/, ""); print; exit }
' "$toml")
[ -n "$icon" ] || die "FyneApp.toml has no [Details] Icon"
[ -f "$repo_root/$icon" ] || die "icon $icon (FyneApp.toml [Details] Icon) not found"
[ -f "$repo_root/$main_pkg/main.go" ] || die "$main_pkg/main.go not found"

# --- fyne CLI, pinned ----------------------------------------------------------
fyne_bin_dir=${FYNE_BIN_DIR:-}
if [ -z "$fyne_bin_dir" ]; then
	gopath=$("$go_bin" env GOPATH)
	fyne_bin_dir=${gopath%%:*}/bin
fi
fyne=$fyne_bin_dir/fyne
fyne_ok() {
	# The whole output first: `grep -q` would stop reading at the first
	# line, and fyne's second line would then die of SIGPIPE (pipefail).
	local out
	[ -x "$fyne" ] || return 1
	out=$("$fyne" version 2>/dev/null) || return 1
	grep -qx "fyne cli version: $FYNE_TOOLS_VERSION" <<<"$out"
}
if fyne_ok; then
	say "using $fyne ($FYNE_TOOLS_VERSION)"
else
	say "installing fyne.io/tools/cmd/fyne@$FYNE_TOOLS_VERSION into $fyne_bin_dir (Go module proxy)"
	# Run outside the repo so its go.mod plays no part.
	if ! (cd / && GOBIN=$fyne_bin_dir GOFLAGS=-buildvcs=false \
		"$go_bin" install "fyne.io/tools/cmd/fyne@$FYNE_TOOLS_VERSION"); then
		missing "could not install the fyne CLI (go install fyne.io/tools/cmd/fyne@$FYNE_TOOLS_VERSION failed; is the Go module proxy reachable?)"
	fi
	fyne_ok || die "$fyne does not report fyne cli version $FYNE_TOOLS_VERSION after installing it"
fi

# --- staging copy ----------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bangui-package.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
stage=$tmp/src
work=$tmp/work
mkdir -p "$stage" "$work"

if git -C "$repo_root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# The working tree as it is (uncommitted edits included), without
	# ignored files (binaries, dist/) and without files deleted but not
	# yet staged.
	(cd "$repo_root" && git ls-files -z --cached --others --exclude-standard --deduplicate |
		while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done |
		tar --null -T - -cf -) | tar -C "$stage" -xf -
else
	tar -C "$repo_root" --exclude=./.git --exclude=./dist --exclude=./bin --exclude=./bangui \
		--exclude='*.test' -cf - . | tar -C "$stage" -xf -
fi
if [ -e "$stage/$main_pkg/FyneApp.toml" ]; then
	die "$main_pkg/FyneApp.toml exists; keep FyneApp.toml only at the repo top level"
fi
cp "$toml" "$stage/$main_pkg/FyneApp.toml"

# --- fyne package ----------------------------------------------------------------
say "building the release package (cold build cache: several minutes; go-gl is compiled again with -trimpath and fyne's CGO_CFLAGS)"
# fyne writes NAME.tar.xz into its working folder: $work.
if ! (cd "$work" && "$fyne" package --target linux --release --verbose \
	--src "$stage/$main_pkg" --icon "$stage/$icon"); then
	die "fyne package failed (see above)"
fi
shopt -s nullglob
pkgs=("$work"/*.tar.xz)
[ ${#pkgs[@]} -eq 1 ] || die "expected one .tar.xz from fyne package in $work, found ${#pkgs[@]}"
pkg=${pkgs[0]}

# --- sanity check: the packaged binary runs and was built as intended -------------
bin_entry=$(tar -tJf "$pkg" | grep -E '^[^/]+/usr/(local/)?bin/[^/]+$' | head -n1 || true)
[ -n "$bin_entry" ] || die "no binary under usr/local/bin or usr/bin in $(basename "$pkg")"
mkdir -p "$tmp/check"
tar -C "$tmp/check" -xJf "$pkg" "$bin_entry"
exe=$tmp/check/$bin_entry
ver=$(LANG=en_US.UTF-8 "$exe" -version) || die "packaged binary $bin_entry failed to run with -version"
tags=$("$go_bin" version -m "$exe" | awk '$1 == "build" && $2 ~ /^-tags=/ { sub(/^-tags=/, "", $2); print $2 }')
case ",$tags," in
*,migrated_fynedo,*) ;;
*) die "packaged binary was built with tags '$tags', without migrated_fynedo (FyneApp.toml [Migrations] fyneDo = true?)" ;;
esac

mkdir -p "$out_dir"
dest=$out_dir/$(basename "$pkg")
mv -f "$pkg" "$dest"
size=$(du -h "$dest" | cut -f1)
say "wrote $dest ($size, $ver, tags $tags) in $((SECONDS - t0)) s"
