#!/usr/bin/env bash
# Benchmarks the registry against the CNCF reference registry (Debian package docker-registry, filesystem
# storage) and against raw Azure SDK throughput on the same Azurite, in one run on this machine, and writes
# docs/benchmarks.md. Needs root for apt (docker-registry, wrk, hey, skopeo, jq) when they are missing.
#   scripts/bench.sh            Env: RUNS=3 BIG_MIB=256 DURATION=10 CONNECTIONS=16 MEMORY_MIB=1024
# Ports: registry 127.0.0.1:5100 (and 5102/5103 for the memory and bearer runs), reference 127.0.0.1:5200. Start-up:
# scripts/bench-coldstart.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${RUNS:-3}"; BIG_MIB="${BIG_MIB:-256}"; DUR="${DURATION:-10}"; CONN="${CONNECTIONS:-16}"; MEMORY_MIB="${MEMORY_MIB:-1024}"
BLOCK_SIZE=4194304; PARALLELISM=4   # the registry's defaults (Registry:BlockSize, Registry:UploadParallelism)
SCRATCH="$(mktemp -d)"
PIDS=()
started_azurite=0
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$started_azurite" = 1 ] && scripts/azurite.sh stop
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
export BLOB_INFO_CACHE="$SCRATCH/skopeo-blob-cache"   # no reuse of earlier pushes
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json

need=()
for t in docker-registry wrk hey skopeo jq; do command -v "$t" >/dev/null || need+=("$t"); done
[ ${#need[@]} -eq 0 ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.2f\", $* }"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wait_for() { for _ in $(seq 1 500); do curl -s -o /dev/null "http://$1/v2/" && return 0; sleep 0.01; done; echo "no answer from $1" >&2; return 1; }
# start_host PORT [STORAGE] [AUTH_PASSWORD] -> PID in HOST_PID. Without AUTH_PASSWORD authentication is off (the
# reference registry has none); with it, authentication is on and "admin" has that password.
start_host() {
  local storage="${2:-bench$1}" auth=(Registry__Auth__Enabled=false)
  [ -n "${3:-}" ] && auth=(Registry__Auth__Enabled=true "Registry__Auth__AdminPassword=$3")
  env Registry__Storage__Container="$storage" Registry__Storage__TablePrefix="$storage" Logging__LogLevel__Default=Warning "${auth[@]}" \
    dotnet functions/Registry.Functions/bin/Release/net10.0/Registry.Functions.dll --urls "http://127.0.0.1:$1" > "$SCRATCH/host-$1.log" 2>&1 &
  HOST_PID=$!; PIDS+=("$HOST_PID")
}

echo "== build (Release)"
dotnet build functions/Registry.Functions/Registry.Functions.csproj -c Release -nologo -v quiet
dotnet build tests/Registry.Bench/Registry.Bench.csproj -c Release -nologo -v quiet
if ! curl -s -o /dev/null http://127.0.0.1:10000/; then scripts/azurite.sh start; started_azurite=1; fi

echo "== reference registry on 127.0.0.1:5200"
mkdir -p "$SCRATCH/ref-data"
cat > "$SCRATCH/ref.yml" <<YML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $SCRATCH/ref-data}, delete: {enabled: true}, cache: {blobdescriptor: inmemory}}
http: {addr: 127.0.0.1:5200}
YML
docker-registry serve "$SCRATCH/ref.yml" > "$SCRATCH/ref.log" 2>&1 &
PIDS+=($!)
wait_for 127.0.0.1:5200

start_host 5100; wait_for 127.0.0.1:5100

echo "== images: $RUNS x $BIG_MIB MiB single-layer images, new random data each"
for i in $(seq 1 "$RUNS"); do tests/e2e/make-images.sh "$SCRATCH/img$i" "$BIG_MIB" > /dev/null; done
MAN1=$(jq -r '.manifests[0].digest' "$SCRATCH/img1/big/index.json")
LAYER1=$(jq -r '.layers[0].digest' "$SCRATCH/img1/big/blobs/sha256/${MAN1#sha256:}")
LAYER_FILE="$SCRATCH/img1/big/blobs/sha256/${LAYER1#sha256:}"
BYTES=$(stat -c %s "$LAYER_FILE")

LAYERS=(); for i in $(seq 1 "$RUNS"); do
  m=$(jq -r '.manifests[0].digest' "$SCRATCH/img$i/big/index.json")
  LAYERS+=("$SCRATCH/img$i/big/blobs/sha256/$(jq -r '.layers[0].digest' "$SCRATCH/img$i/big/blobs/sha256/${m#sha256:}" | cut -d: -f2)")
done
mbps() { calc "${3:-$BYTES} / 1000000 / ($2 - $1)"; }
# Runs are interleaved (registry, SDK, reference, ...) so that drift of the shared machine and of Azurite's
# growing memory falls on every side alike.
echo "== push: skopeo copy of image i to the registry and to the reference; the SDK alone uploads the same layer;"
echo "   and a plain PATCH of the layer by curl shows the registry's own upload path without skopeo"
: > "$SCRATCH/push-ours"; : > "$SCRATCH/push-ref"; : > "$SCRATCH/push-sdk"; : > "$SCRATCH/push-curl"
for i in $(seq 1 "$RUNS"); do
  size=$(stat -c %s "${LAYERS[$((i-1))]}")
  t0=$(now); skopeo copy --dest-tls-verify=false "oci:$SCRATCH/img$i/big:latest" "docker://127.0.0.1:5100/bench/big:push-$i" > /dev/null; t1=$(now)
  mbps "$t0" "$t1" "$size" >> "$SCRATCH/push-ours"; echo >> "$SCRATCH/push-ours"
  dotnet tests/Registry.Bench/bin/Release/net10.0/Registry.Bench.dll sdk-upload "${LAYERS[$((i-1))]}" "$BLOCK_SIZE" "$PARALLELISM" 1 \
    | awk '{print $(NF-1)}' >> "$SCRATCH/push-sdk"
  location=$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:5100/v2/bench/curl$i/blobs/uploads/" | tr -d '\r' | awk 'tolower($1)=="location:" {print $2}')
  t0=$(now); curl -s -o /dev/null -X PATCH -T "${LAYERS[$((i-1))]}" "http://127.0.0.1:5100$location"; t1=$(now)
  mbps "$t0" "$t1" "$size" >> "$SCRATCH/push-curl"; echo >> "$SCRATCH/push-curl"
  curl -s -o /dev/null -X DELETE "http://127.0.0.1:5100$location"   # frees Azurite's memory
  t0=$(now); skopeo copy --dest-tls-verify=false "oci:$SCRATCH/img$i/big:latest" "docker://127.0.0.1:5200/bench/big:push-$i" > /dev/null; t1=$(now)
  mbps "$t0" "$t1" "$size" >> "$SCRATCH/push-ref"; echo >> "$SCRATCH/push-ref"
done
PULL_RUNS=$((RUNS * 3))   # pulls are cheap and skopeo's own CPU makes them noisy: more runs
echo "== pull: $PULL_RUNS skopeo copies to an OCI layout, registry and reference in turn"
: > "$SCRATCH/pull-ours"; : > "$SCRATCH/pull-ref"
for _ in $(seq 1 "$PULL_RUNS"); do
  for side in ours:5100 ref:5200; do
    rm -rf "$SCRATCH/pull"
    t0=$(now); skopeo copy --src-tls-verify=false "docker://127.0.0.1:${side#*:}/bench/big:push-1" "oci:$SCRATCH/pull:latest" > /dev/null; t1=$(now)
    mbps "$t0" "$t1" >> "$SCRATCH/pull-${side%%:*}"; echo >> "$SCRATCH/pull-${side%%:*}"
  done
done
rm -rf "$SCRATCH/pull"

echo "== HTTP: GET manifest by tag and by digest (wrk), HEAD blob (hey), ${DUR}s x $CONN connections"
rps_wrk() { wrk -t2 -c"$CONN" -d"${DUR}s" -H "Accept: $OCI_MANIFEST" "$1" | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "non-2xx " $NF > "/dev/stderr"}'; }
rps_hey() { hey -z "${DUR}s" -c "$CONN" -m HEAD "$1" | awk '/Requests\/sec/ {print $2}'; }
for side in ours:5100 ref:5200; do
  name=${side%%:*}; port=${side#*:}
  echo "$(rps_wrk "http://127.0.0.1:$port/v2/bench/big/manifests/push-1")" > "$SCRATCH/tag-$name"
  echo "$(rps_wrk "http://127.0.0.1:$port/v2/bench/big/manifests/$MAN1")" > "$SCRATCH/digest-$name"
  echo "$(rps_hey "http://127.0.0.1:$port/v2/bench/big/blobs/$LAYER1")" > "$SCRATCH/head-$name"
done

echo "== authentication: GET manifest by tag with a bearer token on a host with authentication on (same storage)"
BENCH_PASSWORD="bench-$RANDOM-$RANDOM-$RANDOM"
start_host 5103 bench5100 "$BENCH_PASSWORD"; wait_for 127.0.0.1:5103
TOKEN=$(curl -s -u "admin:$BENCH_PASSWORD" "http://127.0.0.1:5103/auth/token?service=registry&scope=repository:bench/big:pull" | jq -r .token)
echo "# check: $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "Accept: $OCI_MANIFEST" http://127.0.0.1:5103/v2/bench/big/manifests/push-1)"
# both hosts warmed first (JIT tiers), then measured in turn, twice; the better of each side counts
bearer_rps() { wrk -t2 -c"$CONN" -d"$1s" -H "Accept: $OCI_MANIFEST" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:5103/v2/bench/big/manifests/push-1" | awk '/Requests\/sec/ {print $2}'; }
anonymous_rps() { wrk -t2 -c"$CONN" -d"$1s" -H "Accept: $OCI_MANIFEST" "http://127.0.0.1:5100/v2/bench/big/manifests/push-1" | awk '/Requests\/sec/ {print $2}'; }
bearer_rps 3 > /dev/null; anonymous_rps 3 > /dev/null
: > "$SCRATCH/tag-bearer"; : > "$SCRATCH/tag-anonymous"
for _ in 1 2; do anonymous_rps "$DUR" >> "$SCRATCH/tag-anonymous"; bearer_rps "$DUR" >> "$SCRATCH/tag-bearer"; done
kill "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true

echo "== memory: peak RSS of a fresh host during a $MEMORY_MIB MiB push"
tests/e2e/make-images.sh "$SCRATCH/mem" "$MEMORY_MIB" > /dev/null
start_host 5102; wait_for 127.0.0.1:5102
skopeo copy --dest-tls-verify=false "oci:$SCRATCH/mem/big:latest" "docker://127.0.0.1:5102/bench/mem:latest" > /dev/null
PEAK_MB=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$HOST_PID/status")

m() { grep . "$1" | median; }
PUSH_OURS=$(m "$SCRATCH/push-ours"); PUSH_REF=$(m "$SCRATCH/push-ref"); PUSH_SDK=$(m "$SCRATCH/push-sdk"); PUSH_CURL=$(m "$SCRATCH/push-curl")
PULL_OURS=$(m "$SCRATCH/pull-ours"); PULL_REF=$(m "$SCRATCH/pull-ref")
TAG_OURS=$(cat "$SCRATCH/tag-ours"); TAG_REF=$(cat "$SCRATCH/tag-ref")
DIG_OURS=$(cat "$SCRATCH/digest-ours"); DIG_REF=$(cat "$SCRATCH/digest-ref")
HEAD_OURS=$(cat "$SCRATCH/head-ours"); HEAD_REF=$(cat "$SCRATCH/head-ref")
TAG_BEARER=$(sort -g "$SCRATCH/tag-bearer" | tail -n1); TAG_ANON=$(sort -g "$SCRATCH/tag-anonymous" | tail -n1)
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo MISSED; }

OUT=docs/benchmarks.md
mkdir -p docs
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`scripts/bench.sh\` (RUNS=$RUNS BIG_MIB=$BIG_MIB DURATION=$DUR CONNECTIONS=$CONN MEMORY_MIB=$MEMORY_MIB) on $(date -u +%Y-%m-%d),"
  echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo). One run, one machine: the registry (standalone host, Release, over"
  echo "Azurite in memory), the CNCF reference registry $(docker-registry --version 2>/dev/null | awk '{print $NF}') (filesystem storage), and the raw Azure SDK against the same Azurite."
  echo "Throughput is the median of $RUNS push runs and $PULL_RUNS pull runs in MB/s (10^6 bytes of the $BYTES-byte layer per second of the whole skopeo command);"
  echo "requests/s are from one ${DUR}-second run with $CONN connections."
  echo
  echo "| figure | registry | compared with | ratio | target | |"
  echo "|---|---|---|---|---|---|"
  echo "| pull, ${BIG_MIB} MiB image (skopeo) | $PULL_OURS MB/s | reference $PULL_REF MB/s | $(calc "$PULL_OURS / $PULL_REF") | >= 1 | $(verdict "$PULL_OURS >= $PULL_REF") |"
  echo "| push, ${BIG_MIB} MiB image (skopeo) | $PUSH_OURS MB/s | Azure SDK alone $PUSH_SDK MB/s (block $BLOCK_SIZE, $PARALLELISM in flight) | $(calc "$PUSH_OURS / $PUSH_SDK") | >= 0.9 | $(verdict "$PUSH_OURS >= 0.9 * $PUSH_SDK") |"
  echo "| push, the layer alone by one curl PATCH | $PUSH_CURL MB/s | Azure SDK alone $PUSH_SDK MB/s | $(calc "$PUSH_CURL / $PUSH_SDK") | (where skopeo's time goes) | |"
  echo "| push, same images, for scale | $PUSH_OURS MB/s | reference $PUSH_REF MB/s | $(calc "$PUSH_OURS / $PUSH_REF") | none | |"
  echo "| GET manifest by tag (wrk) | $TAG_OURS req/s | reference $TAG_REF req/s | $(calc "$TAG_OURS / $TAG_REF") | >= 1 | $(verdict "$TAG_OURS >= $TAG_REF") |"
  echo "| GET manifest by digest (wrk) | $DIG_OURS req/s | reference $DIG_REF req/s | $(calc "$DIG_OURS / $DIG_REF") | >= 2 | $(verdict "$DIG_OURS >= 2 * $DIG_REF") |"
  echo "| HEAD blob (hey) | $HEAD_OURS req/s | reference $HEAD_REF req/s | $(calc "$HEAD_OURS / $HEAD_REF") | >= 1 | $(verdict "$HEAD_OURS >= $HEAD_REF") |"
  echo "| GET manifest by tag with a bearer token (wrk) | $TAG_BEARER req/s | no authentication $TAG_ANON req/s (best of two, in turn) | $(calc "$TAG_BEARER / $TAG_ANON") | >= 0.9 | $(verdict "$TAG_BEARER >= 0.9 * $TAG_ANON") |"
  echo "| peak RSS during a ${MEMORY_MIB} MiB push | $PEAK_MB MB | limit 200 MB | $(calc "$PEAK_MB / 200") | < 1 | $(verdict "$PEAK_MB < 200") |"
  echo
  echo "Runs: push MB/s registry $(grep . "$SCRATCH/push-ours" | paste -sd' '), reference $(grep . "$SCRATCH/push-ref" | paste -sd' '), SDK $(grep . "$SCRATCH/push-sdk" | paste -sd' '), curl PATCH $(grep . "$SCRATCH/push-curl" | paste -sd' ');"
  echo "bearer req/s $(paste -sd' ' "$SCRATCH/tag-bearer"), without authentication $(paste -sd' ' "$SCRATCH/tag-anonymous");"
  echo "pull MB/s registry $(grep . "$SCRATCH/pull-ours" | paste -sd' '), reference $(grep . "$SCRATCH/pull-ref" | paste -sd' ')."
} > "$OUT.new"
if [ -f "$OUT" ] && grep -qE '^## (Scanning|Maintenance|Notes)' "$OUT"; then sed -n -E '/^## (Scanning|Maintenance|Notes)/,$p' "$OUT" | { echo; cat; } >> "$OUT.new"; fi
mv "$OUT.new" "$OUT"
cat "$OUT"
