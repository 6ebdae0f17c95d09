#!/usr/bin/env bash
# Benchmarks of the fail2ban protocol client (core/f2b/bench_test.go)
# against a real private fail2ban-server, of the bans view
# (ui/bans_bench_test.go) in Fyne's test driver, and of the history cache
# over 1,000,000 generated bans (core/histsync/bench_test.go,
# core/store/history_bench_test.go, scripts/bench-memory.sh), and of the
# geo lookups and the map's country totals (core/geo/bench_test.go,
# core/store/history_geo_bench_test.go). Every figure in
# docs/PERFORMANCE.md comes from this script.
#
# Usage: scripts/bench.sh   (from anywhere; about an hour and a half with
#                            every group, 40 minutes of it in ban10k and
#                            25 in the history groups)
#   COUNT=6        runs of each fast benchmark (benchstat wants >= 6)
#   BAN_COUNT=1    runs of the two 2,000-address ban benchmarks (minutes each)
#   SYNC_COUNT=3   runs of the three 1,000,000-row sync benchmarks (about
#                  40 s each, plus setup)
#   BENCH_GROUPS=  the groups to run, by name; default all, in the order
#                  below. The issue-3 figures come from
#                  BENCH_GROUPS="bans50k ui-apply ui-filter ui-wheel ui-jump ban10k",
#                  the issue-4 ones from
#                  BENCH_GROUPS="history-sync history-queries history-memory",
#                  the geo ones from BENCH_GROUPS=geo
#   SKIP_SLOW=1    leave out the group ban10k (10,000 bans with the action,
#                  once batched and once as 10,000 fail2ban-client
#                  processes: about 40 minutes), even if BENCH_GROUPS names it
#   OUT=docs/bench/f2b.txt  raw `go test -bench` output, benchstat format
#   BENCHSTAT=0    skip the benchstat summary (it is fetched through
#                  `go run`, so it needs the module proxy or a warm cache)
#   BANGUI_BENCH_F2B_DB=  the history groups' fail2ban database (1,000,000
#                  bans, `f2bgen -n 1000000 -span 8760h -seed 1
#                  -end 2026-11-27T06:00:00Z`); generated once into a temp
#                  folder (about 30 s, 1.3 GB) when unset or missing
#   BANGUI_BENCH_CACHE=   the history cache made from it (0.9 GB), for
#                  history-queries and history-memory; made once (about
#                  40 s) when unset or missing
#   BANGUI_BENCH_GEO_CACHE=  the geo group's cache (1,000,000 bans with
#                  countries, 0.5 GB); made once (about a minute) by its
#                  first run when unset or missing
#
# Needs fail2ban-server and fail2ban-client (Debian package fail2ban) for
# the issue-2 and issue-3 groups, Xvfb, xdotool and ImageMagick for
# history-memory. The ratios at the end are computed from this run's
# output only.
set -euo pipefail

cd "$(dirname "$0")/.."
COUNT=${COUNT:-6}
BAN_COUNT=${BAN_COUNT:-1}
SYNC_COUNT=${SYNC_COUNT:-3}
OUT=${OUT:-docs/bench/f2b.txt}
BENCHSTAT=${BENCHSTAT:-1}
BENCHSTAT_PKG=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
ALL_GROUPS="ping ping-proc status status-short ban-noaction ban bans50k ui-apply ui-filter ui-wheel ui-jump ban10k history-sync history-queries history-memory geo ssh fleet ssh-history blocklists"
BENCH_GROUPS=${BENCH_GROUPS:-$ALL_GROUPS}
SKIP_SLOW=${SKIP_SLOW:-0}
# The build tag the app is built with (see the Makefile): Fyne without its
# thread checks. It changes nothing in core/f2b.
TAGS=migrated_fynedo
# Fyne logs "Error parsing user locale" for C / C.UTF-8 (as in the Makefile).
case ${LANG:-C} in C | C.* | POSIX) export LANG=en_US.UTF-8 ;; esac

for g in $BENCH_GROUPS; do
	case " $ALL_GROUPS " in *" $g "*) ;; *) echo "bench.sh: unknown group $g (groups: $ALL_GROUPS)" >&2; exit 2 ;; esac
done

# selected PATTERN: whether BENCH_GROUPS names a group matching PATTERN.
selected() {
	local g
	for g in $BENCH_GROUPS; do
		case $g in $1) return 0 ;; esac
	done
	return 1
}

command -v go >/dev/null || { echo "bench.sh: go not found" >&2; exit 1; }
if selected '[!hg]*'; then # every group but the history and geo ones talks to fail2ban
	for cmd in fail2ban-server fail2ban-client; do
		command -v "$cmd" >/dev/null || { echo "bench.sh: $cmd not found (fail2ban: apt-get install fail2ban)" >&2; exit 1; }
	done
fi

mkdir -p "$(dirname "$OUT")"
tmp=$(mktemp)
histtmp=
trap 'rm -f "$tmp"; if [ -n "$histtmp" ]; then rm -rf "$histtmp"; fi' EXIT

# The history groups' input, made once for all of them.
if selected 'history-*'; then
	histtmp=$(mktemp -d)
	if [ -z "${BANGUI_BENCH_F2B_DB:-}" ] || [ ! -e "$BANGUI_BENCH_F2B_DB" ]; then
		BANGUI_BENCH_F2B_DB=${BANGUI_BENCH_F2B_DB:-$histtmp/f2b-1m.sqlite3}
		echo "bench.sh: generating $BANGUI_BENCH_F2B_DB (cmd/f2bgen, 1,000,000 bans)"
		go run ./cmd/f2bgen -q -out "$BANGUI_BENCH_F2B_DB" -n 1000000 -span 8760h -seed 1 -end 2026-11-27T06:00:00Z
	fi
	export BANGUI_BENCH_F2B_DB
	if selected 'history-[qm]*' && { [ -z "${BANGUI_BENCH_CACHE:-}" ] || [ ! -e "$BANGUI_BENCH_CACHE" ]; }; then
		BANGUI_BENCH_CACHE=${BANGUI_BENCH_CACHE:-$histtmp/bangui.db}
		echo "bench.sh: syncing it into the cache $BANGUI_BENCH_CACHE"
		BANGUI_BENCH_CACHE_OUT=$BANGUI_BENCH_CACHE go test -count=1 -run '^TestWriteBenchCache$' -v ./core/histsync |
			grep -E 'bench_test|^(ok|FAIL)'
	fi
	export BANGUI_BENCH_CACHE
fi
# The geo group's cache, made by its first run and read by the others.
if selected geo && [ -z "${BANGUI_BENCH_GEO_CACHE:-}" ]; then
	histtmp=${histtmp:-$(mktemp -d)}
	export BANGUI_BENCH_GEO_CACHE=$histtmp/bangui-geo.db
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }

# Configuration lines (benchfmt "key: value") describe the whole file.
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "go: $(go env GOVERSION)"
	echo "fail2ban: $(fail2ban-client --version 2>&1 | head -n1 | sed 's/^Fail2Ban v//')"
	echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "kernel: $(uname -r)"
	echo "ncpu: $(nproc)"
	echo "count: $COUNT"
	echo "ban-count: $BAN_COUNT"
	echo "sync-count: $SYNC_COUNT"
	echo "groups: $BENCH_GROUPS"
	echo "skip-slow: $SKIP_SLOW"
} >"$tmp"

# group NAME PKG REGEXP BENCHTIME COUNT: one `go test` run, if BENCH_GROUPS
# names it. The load average before and after goes into the output as
# comment lines. (go test prints a "pkg:" line per run; benchstat groups
# the results by it.)
group() {
	local name=$1 pkg=$2 re=$3 benchtime=$4 count=$5
	case " $BENCH_GROUPS " in *" $name "*) ;; *) return 0 ;; esac
	if [ "$name" = ban10k ] && [ "$SKIP_SLOW" = 1 ]; then
		echo "# group $name: skipped (SKIP_SLOW=1)" | tee -a "$tmp"
		return 0
	fi
	echo "# group $name: $pkg -bench '$re' -benchtime=$benchtime -count=$count; load before: $(load); $(date -u +%H:%M:%SZ)" | tee -a "$tmp"
	go test -tags "$TAGS" -run '^$' -bench "$re" -benchtime="$benchtime" -benchmem -count="$count" -timeout 4h "$pkg" 2>&1 | tee -a "$tmp"
	echo "# group $name: load after: $(load); $(date -u +%H:%M:%SZ)" | tee -a "$tmp"
}

F2B=./core/f2b
UI=./ui
uptime
# Issue 2: the protocol client.
group ping         $F2B '^BenchmarkPing$'                          5000x "$COUNT"
group ping-proc    $F2B '^BenchmarkPingProcess$'                   50x   "$COUNT"
group status       $F2B '^Benchmark(Status|Bans)5000$'             20x   "$COUNT"
group status-short $F2B '^BenchmarkStatusShort5000$'              2000x "$COUNT"
group ban-noaction $F2B '^BenchmarkBan2000BatchedNoAction$'       10x   "$COUNT"
group ban          $F2B '^BenchmarkBan2000(Batched|PerProcess)$'   1x    "$BAN_COUNT"
# Issue 3: a jail with 50,000 bans, and 10,000 pasted addresses.
group bans50k      $F2B '^BenchmarkAllBans50000$'                  10x   "$COUNT"
group ui-apply     $UI  '^BenchmarkBansViewApply50000$'            20x   "$COUNT"
group ui-filter    $UI  '^BenchmarkBansViewFilter50000$'           20x   "$COUNT"
group ui-wheel     $UI  '^BenchmarkBansViewScroll50000$/^wheel$'   2000x "$COUNT"
group ui-jump      $UI  '^BenchmarkBansViewScroll50000$/^jump$'    300x  "$COUNT"
group ban10k       $F2B '^BenchmarkBan10000(Pasted|PerProcess)$'   1x    1
# Issue 4: the history cache over 1,000,000 generated bans.
group history-sync    ./core/histsync '^BenchmarkSync(Read|Store)?1M$' 1x "$SYNC_COUNT"
group history-queries ./core/store    '^BenchmarkHistory1M$'           1s "$COUNT"
# Geo: 1,000,000 lookups through the offline chain (warm and cold) and
# with the MaxMind DB reader alone; the map's country totals and top
# addresses of a country over 1,000,000 cached bans with countries.
group geo ./core/geo   '^BenchmarkLocate1M$'        5x "$COUNT"
group geo ./core/store '^BenchmarkCountryCounts1M$' 1s "$COUNT"
# The world map: rasterising 1600x800 with new colours (geometry cached)
# and at a new size (projection included), and hit-testing.
group geo ./ui/worldmap '^Benchmark(Render|RenderCold)1600x800$|^BenchmarkCountryAt$' 1s "$COUNT"
# Issue 6 (first part): one command over SSH (socket forward, sudo socat and
# python3 relays) against the local socket, in one process and run; and a
# fresh SSH connection's cost.
group ssh ./remote '^BenchmarkSSHCommand$' 2s "$COUNT"
# Issue 6: ten fail2ban servers polled once (core/fleet's Poller): over the
# local sockets (fleet: Limit 8 against sequential), and over one private
# sshd as root and as a sudo socat user, cold (new SSH connections: the first
# poll at start) and warm (the periodic poll), against the local sockets.
group fleet ./core/fleet '^BenchmarkPoll10$' 20x "$COUNT"
group fleet ./remote '^BenchmarkFleetPollSSH$' 3x 1
# 100,000 history rows synced over SSH (root, sudo user) into a fresh cache,
# and read alone, against the same from the local file.
group ssh-history ./remote '^BenchmarkHistory(Sync|Read)$' 1x "$COUNT"
# Issue 7: parsing a 1,000,000-line list (and the bare line scan), and
# importing into a real jail without a ban action: 10,000 addresses
# batched against 2,000 fail2ban-client processes (compare per address).
group blocklists ./core/blocklist '^Benchmark(Parse|ScanLines)$' 3x "$COUNT"
group blocklists ./core/blocklist '^BenchmarkImport(10000|PerProcess2000)NoAction$' 1x 1
# The app's resident memory with that cache: not a go test; its lines go
# into the output as comments.
if selected history-memory; then
	echo "# group history-memory: scripts/bench-memory.sh; load before: $(load); $(date -u +%H:%M:%SZ)" | tee -a "$tmp"
	scripts/bench-memory.sh 2>&1 | sed 's/^\([^#]\)/# \1/' | tee -a "$tmp"
	echo "# group history-memory: load after: $(load); $(date -u +%H:%M:%SZ)" | tee -a "$tmp"
fi
uptime

cat "$tmp" >"$OUT" # not mv: keep the umask's mode, not mktemp's 0600
echo
echo "raw output: $OUT"

# Summary: median over the runs of each benchmark, and the ratios and
# targets the documentation quotes.
awk '
function median(key,   n, i, j, t, a) {
	n = cnt[key]
	if (n == 0) return -1
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
	return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
function maxof(key,   i, hi) {
	hi = -1
	for (i = 1; i <= cnt[key]; i++) if (val[key, i] > hi) hi = val[key, i]
	return hi
}
function spread(key,   i, lo, hi) {
	lo = hi = val[key, 1]
	for (i = 2; i <= cnt[key]; i++) { if (val[key, i] < lo) lo = val[key, i]; if (val[key, i] > hi) hi = val[key, i] }
	return sprintf("%.3f..%.3f ms", lo / 1e6, hi / 1e6)
}
# One result line: name, iterations, then value/unit pairs.
/^Benchmark[A-Za-z0-9_\/=.-]+[ \t]/ && $4 == "ns/op" {
	name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
	if (!((name, "ns/op") in cnt)) order[++nb] = name
	for (i = 3; i < NF; i += 2) { key = name SUBSEP $(i+1); cnt[key]++; val[key, cnt[key]] = $i }
}
END {
	print "median ns/op over the runs (min..max):"
	for (k = 1; k <= nb; k++) {
		key = order[k] SUBSEP "ns/op"
		printf "  %-30s %14.0f ns/op %12.3f ms  (%d runs, %s)\n", order[k], median(key), median(key) / 1e6, cnt[key], spread(key)
	}
	p = median("Ping" SUBSEP "ns/op"); pp = median("PingProcess" SUBSEP "ns/op")
	if (p > 0 && pp > 0) {
		r = pp / p
		printf "ping ratio, one fail2ban-client process / open connection: %.0fx (%.1f ms vs %.1f us; target >= 100x: %s)\n", r, pp / 1e6, p / 1e3, (r >= 100 ? "met" : "NOT met")
	}
	bb = median("Ban2000Batched" SUBSEP "ns/op"); bp = median("Ban2000PerProcess" SUBSEP "ns/op")
	if (bb > 0 && bp > 0)
		printf "ban ratio, 2,000 processes / one batched BanIP of 2,000: %.1fx (%.1f s vs %.1f s)\n", bp / bb, bp / 1e9, bb / 1e9
	f = median("AllBans50000" SUBSEP "ns/op"); a = median("BansViewApply50000" SUBSEP "ns/op")
	if (f > 0 && a > 0)
		printf "first rows of 50,000 bans, fetch + apply: %.0f ms (%.0f + %.0f ms, medians; target < 1 s: %s; painting not included)\n", (f + a) / 1e6, f / 1e6, a / 1e6, (f + a < 1e9 ? "met" : "NOT met")
	for (k = 1; k <= nb; k++) if (order[k] ~ /^BansViewFilter50000\//) {
		m = median(order[k] SUBSEP "ns/op")
		printf "filter 50,000 rows, %s: %.1f ms (median; target < 50 ms: %s)\n", substr(order[k], 21), m / 1e6, (m < 50e6 ? "met" : "NOT met")
	}
	for (k = 1; k <= nb; k++) if (order[k] ~ /^BansViewScroll50000\//)
		printf "scroll 50,000 rows, %s: median step %.2f ms, p99 %.2f ms (medians over the runs), slowest step of all runs %.1f ms\n", substr(order[k], 21), median(order[k] SUBSEP "p50-us/step") / 1e3, median(order[k] SUBSEP "p99-us/step") / 1e3, maxof(order[k] SUBSEP "max-us/step") / 1e3
	tb = median("Ban10000Pasted" SUBSEP "ns/op"); tp = median("Ban10000PerProcess" SUBSEP "ns/op")
	if (tb > 0 && tp > 0)
		printf "ban ratio, 10,000 processes / parse + one batched BanIP of 10,000 pasted: %.1fx (%.1f s vs %.1f s)\n", tp / tb, tp / 1e9, tb / 1e9
	# Issue 4.
	sy = median("Sync1M" SUBSEP "rows/s")
	if (sy > 0)
		printf "history sync of 1,000,000 rows: %.0f rows/s, %.1f s (medians; target >= 200,000 rows/s: %s); reading alone %.0f rows/s, storing alone %.0f rows/s\n", sy, median("Sync1M" SUBSEP "ns/op") / 1e9, (sy >= 200000 ? "met" : "NOT met"), median("SyncRead1M" SUBSEP "rows/s"), median("SyncStore1M" SUBSEP "rows/s")
	split("24h 7d 30d 365d", rng, " "); split("dashboard trend jails topips origins", qs, " ")
	for (i = 1; i <= 4; i++) {
		line = ""; worst = 0
		for (j = 1; j <= 5; j++) {
			m = median("History1M/" qs[j] "/" rng[i] SUBSEP "ns/op")
			if (m < 0) continue
			line = line sprintf(" %s %.1f ms", qs[j], m / 1e6)
			if (j > 1 && m > worst) worst = m
		}
		if (line == "") continue
		printf "dashboard over %s (medians):%s; slowest query %.1f ms (target < 100 ms: %s)\n", rng[i], line, worst / 1e6, (worst < 100e6 ? "met" : "NOT met")
		d = median("History1M/dashboard/" rng[i] SUBSEP "ns/op"); g = median("History1M/goagg/" rng[i] SUBSEP "ns/op")
		if (d > 0 && g > 0)
			printf "  rows loaded into Go and aggregated there / Dashboard, %s: %.1fx (%.1f ms vs %.1f ms, %d bans)\n", rng[i], g / d, g / 1e6, d / 1e6, median("History1M/goagg/" rng[i] SUBSEP "bans")
	}
	rng[5] = "all"
	for (i = 1; i <= 5; i++) {
		p = median("History1M/page/" rng[i] SUBSEP "ns/op"); f = median("History1M/first/" rng[i] SUBSEP "ns/op")
		if (p > 0 && f > 0)
			printf "history over %s: first page %.1f ms, with the count line (count, jails, newest, page) %.1f ms (medians; target < 50 ms: page %s, with the count %s)\n", rng[i], p / 1e6, f / 1e6, (p < 50e6 ? "met" : "NOT met"), (f < 50e6 ? "met" : "NOT met")
	}
}' "$OUT"
grep '^# view ' "$OUT" | sed 's/^# //' || true

if [ "$BENCHSTAT" = 1 ]; then
	echo
	# Optional: fetched through the module proxy; skipped when unavailable.
	timeout 300 go run "$BENCHSTAT_PKG" "$OUT" 2>/dev/null || echo "(benchstat not available; skipped)"
fi
