#!/usr/bin/env bash
# The Functions path against the standalone host, in one run: the same Release build of the app, once as the
# standalone host and once as a Functions worker behind the Functions-host stand-in (tests/Registry.FunctionsHost),
# each on storage of its own in the same Azurite. Figures go to docs/benchmarks.md, section "Functions host".
# The stand-in's own proxying (one more HTTP hop on loopback, YARP's forwarder, a gRPC invocation message per
# request) is part of what is measured, as the real Functions host's is in Azure.
#   scripts/bench-functions.sh      Env: RUNS=3 BIG_MIB=256 DURATION=10 CONNECTIONS=16
# Ports: standalone 127.0.0.1:5110, Functions host stand-in 127.0.0.1:5111, and the stand-in as a plain forwarder to
# the standalone host on 127.0.0.1:5112 (the proxy hop alone, without the worker protocol).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
RUNS="${RUNS:-3}"; BIG_MIB="${BIG_MIB:-256}"; DUR="${DURATION:-10}"; CONN="${CONNECTIONS:-16}"
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
need wrk skopeo jq
export BLOB_INFO_CACHE="$SCRATCH/skopeo-blob-cache"
dotnet build tests/Registry.FunctionsHost/Registry.FunctionsHost.csproj -c Release -nologo -v quiet

AZURITE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://localhost:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
start_registry 5110 benchstandalone
STANDALONE_PID=$HOST_PID
setsid env Registry__Storage__Container=benchfunctions Registry__Storage__TablePrefix=benchfunctions Registry__Scan__Queue=benchfunctions-scans Registry__Signing__Queue=benchfunctions-signatures Registry__Webhooks__Queue=benchfunctions-webhooks Registry__Mirroring__Queue=benchfunctions-mirrors \
  Registry__Storage__ConnectionString="$AZURITE" Registry__Auth__Enabled=false Logging__LogLevel__Default=Warning \
  AzureWebJobsStorage=UseDevelopmentStorage=true FUNCTIONS_REQUEST_BODY_SIZE_LIMIT=4294967296 \
  Registry__Pruning__Schedule="0 */15 * * * *" Registry__Gc__Schedule="0 0 2 * * *" Registry__Scan__DatabaseSchedule="0 0 3 * * *" Registry__Cache__Schedule="0 */30 * * * *" Registry__Mirroring__PollSchedule="0 */15 * * * *" \
  dotnet tests/Registry.FunctionsHost/bin/Release/net10.0/Registry.FunctionsHost.dll --app functions/Registry.Functions/bin/Release/net10.0 \
  --urls http://127.0.0.1:5111 > "$SCRATCH/functions.log" 2>&1 < /dev/null &
FUNCTIONS_PGID=$!
setsid dotnet tests/Registry.FunctionsHost/bin/Release/net10.0/Registry.FunctionsHost.dll --forward http://127.0.0.1:5110 \
  --urls http://127.0.0.1:5112 > "$SCRATCH/forwarder.log" 2>&1 < /dev/null &
FORWARDER_PGID=$!
trap 'kill -TERM -- "-$FUNCTIONS_PGID" "-$FORWARDER_PGID" 2>/dev/null; kill "$STANDALONE_PID" 2>/dev/null; bench_cleanup' EXIT
for _ in $(seq 1 300); do [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5111/v2/)" = 200 ] && break; sleep 0.2; done

echo "== images: $RUNS x $BIG_MIB MiB single-layer images per host, new random data each"
for i in $(seq 1 "$((RUNS * 2))"); do tests/e2e/make-images.sh "$SCRATCH/img$i" "$BIG_MIB" > /dev/null; done
mbps() { calc "$3 / 1000000 / ($2 - $1)"; }
layer_bytes() { local m; m=$(jq -r '.manifests[0].digest' "$1/big/index.json"); jq -r '.layers[0].size' "$1/big/blobs/sha256/${m#sha256:}"; }

echo "== push: skopeo copy of a $BIG_MIB MiB image, the hosts in turn (the layer goes in one PATCH)"
: > "$SCRATCH/push-standalone"; : > "$SCRATCH/push-functions"
for i in $(seq 1 "$RUNS"); do
  for side in standalone:5110:$((2 * i - 1)) functions:5111:$((2 * i)); do
    IFS=: read -r name port image <<<"$side"
    t0=$(now); skopeo copy --dest-tls-verify=false "oci:$SCRATCH/img$image/big:latest" "docker://127.0.0.1:$port/bench/big:push-$i" > /dev/null; t1=$(now)
    mbps "$t0" "$t1" "$(layer_bytes "$SCRATCH/img$image")" >> "$SCRATCH/push-$name"; echo >> "$SCRATCH/push-$name"
  done
done

echo "== GET manifest by tag (wrk, ${DUR}s x $CONN connections): all warmed, then in turn twice; the better of each counts"
rps() { wrk -t2 -c"$CONN" -d"$2s" -H "Accept: $OCI_MANIFEST" "http://127.0.0.1:$1/v2/bench/big/manifests/push-1" | awk '/Requests\/sec/ {print $2}'; }
rps 5110 3 > /dev/null; rps 5111 3 > /dev/null; rps 5112 3 > /dev/null
: > "$SCRATCH/tag-standalone"; : > "$SCRATCH/tag-functions"; : > "$SCRATCH/tag-forwarded"
for _ in 1 2; do
  rps 5110 "$DUR" >> "$SCRATCH/tag-standalone"; rps 5111 "$DUR" >> "$SCRATCH/tag-functions"; rps 5112 "$DUR" >> "$SCRATCH/tag-forwarded"
done

PUSH_S=$(grep . "$SCRATCH/push-standalone" | median); PUSH_F=$(grep . "$SCRATCH/push-functions" | median)
TAG_S=$(sort -g "$SCRATCH/tag-standalone" | tail -n1); TAG_F=$(sort -g "$SCRATCH/tag-functions" | tail -n1)
TAG_P=$(sort -g "$SCRATCH/tag-forwarded" | tail -n1)
{
  echo "## Functions host"
  echo
  echo "Produced by \`scripts/bench-functions.sh\` (RUNS=$RUNS BIG_MIB=$BIG_MIB DURATION=$DUR CONNECTIONS=$CONN) on $(date -u +%Y-%m-%d), $(nproc) cores: the same"
  echo "Release build as the standalone host and as a Functions worker behind the Functions-host stand-in, in one run, each on storage of"
  echo "its own in one Azurite. The stand-in's proxying (a second HTTP hop on loopback, YARP's forwarder, one gRPC invocation"
  echo "message and response per request) is part of the Functions figure, as the real host's is in Azure; the 2-core machine"
  echo "also runs the stand-in, the worker, Azurite and the load generator."
  echo
  echo "| figure | Functions host (stand-in) | standalone host | ratio |"
  echo "|---|---|---|---|"
  echo "| push, ${BIG_MIB} MiB image (skopeo, median of $RUNS) | $PUSH_F MB/s | $PUSH_S MB/s | $(calc "$PUSH_F / $PUSH_S") |"
  echo "| GET manifest by tag (wrk, best of two) | $TAG_F req/s | $TAG_S req/s | $(calc "$TAG_F / $TAG_S") |"
  echo "| the same through the stand-in's forwarder alone, to the standalone host (the proxy hop, no worker protocol) | $TAG_P req/s | $TAG_S req/s | $(calc "$TAG_P / $TAG_S") |"
  echo
  echo "The forwarder's line is the second HTTP hop alone, which the Functions host has too; the step from it to the Functions"
  echo "line is the worker protocol (an invocation message and response over gRPC, and the worker's invocation pipeline)."
  echo "On these 2 cores most of what a small request loses is the hop. Pushes are bound by storage and hardly notice either."
  echo
  echo "Runs: push MB/s Functions $(grep . "$SCRATCH/push-functions" | paste -sd' '), standalone $(grep . "$SCRATCH/push-standalone" | paste -sd' ');"
  echo "req/s Functions $(paste -sd' ' "$SCRATCH/tag-functions"), standalone $(paste -sd' ' "$SCRATCH/tag-standalone"), forwarder $(paste -sd' ' "$SCRATCH/tag-forwarded")."
  echo
} > "$SCRATCH/section.md"
write_section "Functions host" "$SCRATCH/section.md"
cat "$SCRATCH/section.md"
