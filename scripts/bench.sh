#!/usr/bin/env bash
# Benchmarks of the fail2ban protocol client (core/f2b/bench_test.go)
# against a real private fail2ban-server. Every figure in
# docs/PERFORMANCE.md comes from this script.
#
# Usage: scripts/bench.sh            (from anywhere; takes 10-20 minutes)
#   COUNT=6      runs of each fast benchmark (benchstat wants >= 6)
#   BAN_COUNT=1  runs of the two 2,000-address ban benchmarks (minutes each)
#   OUT=docs/bench/f2b.txt  raw `go test -bench` output, benchstat format
#   BENCHSTAT=0  skip the benchstat summary (it is fetched through
#                `go run`, so it needs the module proxy or a warm cache)
#
# Needs fail2ban-server and fail2ban-client (Debian package fail2ban).
# The ratios at the end are computed from this run's output only.
set -euo pipefail

cd "$(dirname "$0")/.."
COUNT=${COUNT:-6}
BAN_COUNT=${BAN_COUNT:-1}
OUT=${OUT:-docs/bench/f2b.txt}
BENCHSTAT=${BENCHSTAT:-1}
BENCHSTAT_PKG=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
PKG=./core/f2b

for cmd in go fail2ban-server fail2ban-client; do
	command -v "$cmd" >/dev/null || { echo "bench.sh: $cmd not found (fail2ban: apt-get install fail2ban)" >&2; exit 1; }
done

mkdir -p "$(dirname "$OUT")"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

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
} >"$tmp"

# group NAME REGEXP BENCHTIME COUNT: one `go test` run. The load average
# before and after goes into the output as comment lines.
group() {
	local name=$1 re=$2 benchtime=$3 count=$4
	echo "# group $name: -bench '$re' -benchtime=$benchtime -count=$count; load before: $(load)" | tee -a "$tmp"
	go test -run '^$' -bench "$re" -benchtime="$benchtime" -benchmem -count="$count" -timeout 4h "$PKG" 2>&1 | tee -a "$tmp"
	echo "# group $name: load after: $(load)" | tee -a "$tmp"
}

uptime
group ping         '^BenchmarkPing$'                          5000x "$COUNT"
group ping-proc    '^BenchmarkPingProcess$'                   50x   "$COUNT"
group status       '^Benchmark(Status|Bans)5000$'             20x   "$COUNT"
group status-short '^BenchmarkStatusShort5000$'              2000x "$COUNT"
group ban-noaction '^BenchmarkBan2000BatchedNoAction$'       10x   "$COUNT"
group ban          '^BenchmarkBan2000(Batched|PerProcess)$'   1x    "$BAN_COUNT"
uptime

cat "$tmp" >"$OUT" # not mv: keep the umask's mode, not mktemp's 0600
echo
echo "raw output: $OUT"

# Summary: median over the runs of each benchmark, and the two ratios.
awk '
function median(name,   n, i, j, t, a) {
	n = cnt[name]
	if (n == 0) return -1
	for (i = 1; i <= n; i++) a[i] = val[name, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
	return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
function spread(name,   i, lo, hi) {
	lo = hi = val[name, 1]
	for (i = 2; i <= cnt[name]; i++) { if (val[name, i] < lo) lo = val[name, i]; if (val[name, i] > hi) hi = val[name, i] }
	return sprintf("%.3f..%.3f ms", lo / 1e6, hi / 1e6)
}
/^Benchmark[A-Za-z0-9_]+(-[0-9]+)?[ \t]/ && $4 == "ns/op" {
	name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
	if (!(name in cnt)) order[++nb] = name
	cnt[name]++; val[name, cnt[name]] = $3
}
END {
	print "median ns/op over the runs (min..max):"
	for (k = 1; k <= nb; k++) {
		name = order[k]
		printf "  %-20s %14.0f ns/op %12.3f ms  (%d runs, %s)\n", name, median(name), median(name) / 1e6, cnt[name], spread(name)
	}
	p = median("Ping"); pp = median("PingProcess")
	if (p > 0 && pp > 0) {
		r = pp / p
		printf "ping ratio, one fail2ban-client process / open connection: %.0fx (%.1f ms vs %.1f us; target >= 100x: %s)\n", r, pp / 1e6, p / 1e3, (r >= 100 ? "met" : "NOT met")
	}
	bb = median("Ban2000Batched"); bp = median("Ban2000PerProcess")
	if (bb > 0 && bp > 0)
		printf "ban ratio, 2,000 processes / one batched BanIP of 2,000: %.1fx (%.1f s vs %.1f s)\n", bp / bb, bp / 1e9, bb / 1e9
}' "$OUT"

if [ "$BENCHSTAT" = 1 ]; then
	echo
	# Optional: fetched through the module proxy; skipped when unavailable.
	timeout 300 go run "$BENCHSTAT_PKG" "$OUT" 2>/dev/null || echo "(benchstat not available; skipped)"
fi
