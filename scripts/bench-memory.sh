#!/usr/bin/env bash
# Resident memory of the real app with 1,000,000 cached bans
# (docs/PERFORMANCE.md, "History cache (issue 4)"): builds bin/bangui the
# way the Makefile does, copies a cache holding the history of a generated
# fail2ban database into a fresh data folder, starts the app in a virtual X
# server (Xvfb) once per view, lets it settle, then reads VmRSS and VmHWM
# from /proc and takes a screenshot.
#
# Usage: scripts/bench-memory.sh   (from anywhere; about 2 minutes with a
#                                   ready cache, 2 more to make one)
#   BANGUI_BENCH_CACHE=   a cache (bangui.db) with the history, as
#                         TestWriteBenchCache in core/histsync writes it;
#                         made (and removed at the end) when unset or missing
#   BANGUI_BENCH_F2B_DB=  the fail2ban database that cache is made from;
#                         generated with cmd/f2bgen when unset or missing
#   VIEWS="dashboard history"  the -view values to measure
#   SETTLE=20             seconds between the start and the reading
#   SAMPLE=1              seconds between the RSS samples while settling
#   SHOTS=/tmp            where the screenshots go (mem-VIEW.png)
#   OUT=                  also append the output to this file
#
# The app gets -socket /nonexistent.sock (no fail2ban is involved: the
# views show the cached history and say fail2ban is unreachable), its own
# HOME, and GODEBUG=gctrace=1: the last "gc" line of its log gives the Go
# heap, the rest of the RSS is SQLite's page caches (modernc.org/sqlite
# allocates outside the Go heap), Fyne's and the X/GL libraries' memory,
# and the code. Needs Xvfb, xdotool and ImageMagick's import (Debian
# packages xvfb, xdotool, imagemagick).
set -euo pipefail

cd "$(dirname "$0")/.."
VIEWS=${VIEWS:-dashboard history}
SETTLE=${SETTLE:-20}
SAMPLE=${SAMPLE:-1}
SHOTS=${SHOTS:-/tmp}
OUT=${OUT:-}
case ${LANG:-C} in C | C.* | POSIX) export LANG=en_US.UTF-8 ;; esac

for cmd in go Xvfb xdotool import; do
	command -v "$cmd" >/dev/null || { echo "bench-memory.sh: $cmd not found" >&2; exit 1; }
done

work=$(mktemp -d)
xvfb_pid=
app_pid=
cleanup() {
	if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; fi
	if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; wait "$xvfb_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

log() { echo "$*"; if [ -n "$OUT" ]; then echo "$*" >>"$OUT"; fi; }

log "# bench-memory: $(date -u +%Y-%m-%dT%H:%M:%SZ); go $(go env GOVERSION); $(nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg)"

# The binary, as `make build` makes it.
go build -tags migrated_fynedo -o "$work/bangui" ./cmd/bangui

# The cache.
cache=${BANGUI_BENCH_CACHE:-}
if [ -z "$cache" ] || [ ! -e "$cache" ]; then
	[ -n "$cache" ] || cache=$work/cache/bangui.db
	mkdir -p "$(dirname "$cache")"
	f2b=${BANGUI_BENCH_F2B_DB:-}
	if [ -z "$f2b" ] || [ ! -e "$f2b" ]; then
		[ -n "$f2b" ] || f2b=$work/f2b-1m.sqlite3
		go run ./cmd/f2bgen -q -out "$f2b" -n 1000000 -span 8760h -seed 1 -end 2026-11-27T06:00:00Z
	fi
	BANGUI_BENCH_F2B_DB=$f2b BANGUI_BENCH_CACHE_OUT=$cache \
		go test -count=1 -run '^TestWriteBenchCache$' -v ./core/histsync | grep -E 'bench_test|^(ok|FAIL)'
fi
log "# cache: $cache ($(du -m "$cache" | cut -f1) MB)"

# A free display from :93 on.
display=
for n in $(seq 93 199); do
	if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then display=:$n; break; fi
done
[ -n "$display" ] || { echo "bench-memory.sh: no free X display" >&2; exit 1; }
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 1 100); do
	DISPLAY=$display xdotool getdisplaygeometry >/dev/null 2>&1 && break
	sleep 0.1
done
DISPLAY=$display xdotool getdisplaygeometry >/dev/null || { cat "$work/xvfb.log" >&2; exit 1; }

kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"; }

for view in $VIEWS; do
	data=$work/data-$view
	home=$work/home-$view
	mkdir -p "$data" "$home" "$work/f2bconf"
	cp "$cache" "$data/bangui.db"
	env -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_CACHE_HOME \
		DISPLAY="$display" HOME="$home" GODEBUG=gctrace=1 \
		"$work/bangui" -data "$data" -view "$view" -socket /nonexistent.sock \
		-fail2ban-config "$work/f2bconf" >"$work/app-$view.log" 2>&1 &
	app_pid=$!
	samples=
	for _ in $(seq 1 $((SETTLE / SAMPLE))); do
		sleep "$SAMPLE"
		kill -0 "$app_pid" 2>/dev/null || { cat "$work/app-$view.log" >&2; echo "bench-memory.sh: the app exited" >&2; exit 1; }
		samples="$samples $(($(kb VmRSS "$app_pid") / 1024))"
	done
	rss=$(kb VmRSS "$app_pid")
	hwm=$(kb VmHWM "$app_pid")
	anon=$(kb RssAnon "$app_pid")
	file=$(kb RssFile "$app_pid")
	threads=$(kb Threads "$app_pid")
	shot=$SHOTS/mem-$view.png
	DISPLAY=$display import -window root "$shot"
	gc=$(grep '^gc ' "$work/app-$view.log" | tail -n1 || true)
	log "view $view: VmRSS $((rss / 1024)) MB, VmHWM $((hwm / 1024)) MB (RssAnon $((anon / 1024)) MB, RssFile $((file / 1024)) MB), $threads threads, after ${SETTLE}s; screenshot $shot"
	log "  RSS every ${SAMPLE}s (MB):$samples"
	log "  last GC: ${gc:-none}"
	kill "$app_pid"
	wait "$app_pid" 2>/dev/null || true
	app_pid=
	grep -iE 'level=(WARN|ERROR)' "$work/app-$view.log" | head -n5 | sed 's/^/  app: /' || true
done
