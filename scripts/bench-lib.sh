#!/usr/bin/env bash
# What the benchmark scripts share; sourced, not run. After sourcing: SCRATCH (removed at exit), BENCH (the
# benchmark tool), Azurite up (stopped at exit when started here), and these functions:
#   need TOOL...                    install missing Debian packages
#   now, calc EXPR, median          time stamps and arithmetic
#   start_registry PORT STORAGE [VAR=VALUE...]   the standalone host (Release, authentication off) on its own storage
#   write_section NAME FILE         put FILE in docs/benchmarks.md as the section "## NAME" (replacing it, or
#                                   before the first of Scanning, Maintenance and Notes)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCRATCH="$(mktemp -d)"
HOST_PID=""
started_azurite=0
bench_cleanup() {
  [ -n "$HOST_PID" ] && kill "$HOST_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  [ "$started_azurite" = 1 ] && scripts/azurite.sh stop
  rm -rf "$SCRATCH"
}
trap bench_cleanup EXIT
need() {
  local missing=(); for t in "$@"; do command -v "$t" >/dev/null || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }
}
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.2f\", $* }"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
start_registry() {
  local port=$1 storage=$2; shift 2
  env Registry__Storage__Container="$storage" Registry__Storage__TablePrefix="$storage" Registry__Scan__Queue="$storage-scans" Registry__Signing__Queue="$storage-signatures" Registry__Webhooks__Queue="$storage-webhooks" Registry__Mirroring__Queue="$storage-mirrors" \
    Registry__Auth__Enabled=false Logging__LogLevel__Default=Warning "$@" \
    dotnet functions/Registry.Functions/bin/Release/net10.0/Registry.Functions.dll --urls "http://127.0.0.1:$port" > "$SCRATCH/host-$port.log" 2>&1 &
  HOST_PID=$!
  for _ in $(seq 1 500); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && return 0; sleep 0.02; done
  echo "the registry did not start on $port" >&2; return 1
}
write_section() {
  local name=$1 file=$2 out=docs/benchmarks.md
  [ -f "$out" ] || { cp "$file" "$out"; return; }
  awk -v section="$file" -v name="$name" '
    function emit() { while ((getline line < section) > 0) print line; done = 1 }
    $0 == "## " name { skip = 1; emit(); next }
    skip && /^## / { skip = 0 }
    !done && /^## (Scanning|Maintenance|Notes)/ { emit() }
    !skip { print }
    END { if (!done) { print ""; emit() } }' "$out" > "$out.new"
  mv "$out.new" "$out"
}

echo "== build (Release)"
dotnet build functions/Registry.Functions/Registry.Functions.csproj -c Release -nologo -v quiet
dotnet build tests/Registry.Bench/Registry.Bench.csproj -c Release -nologo -v quiet
if ! curl -s -o /dev/null http://127.0.0.1:10000/; then scripts/azurite.sh start; started_azurite=1; fi
BENCH=tests/Registry.Bench/bin/Release/net10.0/Registry.Bench.dll
