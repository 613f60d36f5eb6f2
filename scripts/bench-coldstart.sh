#!/usr/bin/env bash
# Cold start: on Flex Consumption an instance starts from zero when traffic comes back, so start-up is part of a
# user's first request. This script starts the built standalone host (Release, authentication off) RUNS times on
# storage that is in place already (as every start after the first deployment) and measures, from the process start:
# the first 200 of /v2/, and the first 200 of a manifest GET by tag (a real pull's first request: routing, storage
# clients, a table read and the answer). Then once on fresh storage (the first start of a deployment, which creates
# the container and tables). Medians go to docs/benchmarks.md, section "Cold start".
#   scripts/bench-coldstart.sh      Env: RUNS=5
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
RUNS="${RUNS:-5}"
PORT=5391
BASE="http://127.0.0.1:$PORT"
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
STORAGE="benchcold$(date +%s)"

# Starts the host on STORAGE and waits for the first 200 of URL (polled every 10 ms); prints the seconds it took.
time_to_200() {
  local storage=$1 url=$2 t0 code
  t0=$(now)
  env Registry__Storage__Container="$storage" Registry__Storage__TablePrefix="$storage" Registry__Scan__Queue="$storage-scans" \
    Registry__Auth__Enabled=false Logging__LogLevel__Default=Warning \
    dotnet functions/Registry.Functions/bin/Release/net10.0/Registry.Functions.dll --urls "$BASE" > "$SCRATCH/host.log" 2>&1 &
  HOST_PID=$!
  for _ in $(seq 1 3000); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Accept: $OCI_MANIFEST" "$url" || true)
    if [ "$code" = 200 ]; then calc "$(now) - $t0"; return 0; fi
    sleep 0.01
  done
  echo "no 200 from $url within 30 s" >&2; cat "$SCRATCH/host.log" >&2; return 1
}
stop_host() { kill "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true; HOST_PID=""; }

echo "== fresh storage (creates the container and tables)"
fresh=$(time_to_200 "$STORAGE" "$BASE/v2/")
config='{"architecture":"amd64","os":"linux"}'
digest="sha256:$(printf %s "$config" | sha256sum | cut -d' ' -f1)"
curl -sf -o /dev/null -X POST --data-binary "$config" "$BASE/v2/bench/cold/blobs/uploads/?digest=$digest"
manifest="{\"schemaVersion\":2,\"mediaType\":\"$OCI_MANIFEST\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"$digest\",\"size\":${#config}},\"layers\":[]}"
curl -sf -o /dev/null -X PUT -H "Content-Type: $OCI_MANIFEST" --data-binary "$manifest" "$BASE/v2/bench/cold/manifests/latest"
stop_host

ping=(); pull=()
for i in $(seq 1 "$RUNS"); do
  ping+=("$(time_to_200 "$STORAGE" "$BASE/v2/")"); stop_host
  pull+=("$(time_to_200 "$STORAGE" "$BASE/v2/bench/cold/manifests/latest")"); stop_host
  echo "run $i: /v2/ ${ping[-1]} s, first manifest GET ${pull[-1]} s"
done
ping_median=$(printf '%s\n' "${ping[@]}" | median)
pull_median=$(printf '%s\n' "${pull[@]}" | median)

cat > "$SCRATCH/section.md" <<MD
## Cold start

\`scripts/bench-coldstart.sh\` (RUNS=$RUNS), $(date -u +%Y-%m-%d), $(nproc) cores, Azurite on the same machine: the standalone
host (Release build output, \`dotnet Registry.Functions.dll\`, authentication off) from process start to its first
200, median of $RUNS starts on storage that is in place.

| First 200 of | Median (s) | Runs (s) |
|---|---|---|
| \`GET /v2/\` | $ping_median | ${ping[*]} |
| \`GET /v2/<repo>/manifests/<tag>\` | $pull_median | ${pull[*]} |
| \`GET /v2/\` on fresh storage (creates the container and tables), one start | $fresh | |
MD
write_section "Cold start" "$SCRATCH/section.md"
cat "$SCRATCH/section.md"
