#!/usr/bin/env bash
# Cold start: on Flex Consumption an instance starts from zero when traffic comes back, so start-up is part of a
# user's first request. This script publishes the app as it is deployed (Release, ReadyToRun for linux-x64) and
# starts it as the standalone host (authentication off) RUNS times on storage that is in place, measuring from the
# process start: the first 200 of /v2/, and the first 200 of a manifest GET by tag (a pull's first request: storage
# clients, a table read, the answer). Both as deployed (Registry:Storage:CreateBeforeStart off: the Bicep made the
# tables, the host checks them in the background) and as run locally (the host creates them before it serves). The
# same is measured for the plain build output (no ReadyToRun) for comparison. The poller is one Python process that
# tries every 10 ms (a new curl per try would take the CPU the starting host needs). Medians go to
# docs/benchmarks.md, section "Cold start".
#   scripts/bench-coldstart.sh      Env: RUNS=5
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
need python3
RUNS="${RUNS:-5}"
PORT=5391
BASE="http://127.0.0.1:$PORT"
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
STORAGE="benchcold$(date +%s)"
PUBLISHED="$SCRATCH/publish"

echo "== publish (as deployed)"
dotnet publish functions/Registry.Functions/Registry.Functions.csproj -c Release -o "$PUBLISHED" -nologo -v quiet 2>&1 | grep -v NU1603 || true

# Starts DLL on STORAGE with the given settings and prints the seconds from the process start to the first 200 of PATH.
first_200() {
  local dll=$1 path=$2; shift 2
  env Registry__Storage__Container="$STORAGE" Registry__Storage__TablePrefix="$STORAGE" Registry__Scan__Queue="$STORAGE-scans" Registry__Signing__Queue="$STORAGE-signatures" Registry__Webhooks__Queue="$STORAGE-webhooks" Registry__Mirroring__Queue="$STORAGE-mirrors" \
    Registry__Auth__Enabled=false Logging__LogLevel__Default=Warning "$@" \
    python3 - "$dll" "$BASE" "$path" "$OCI_MANIFEST" <<'PY'
import http.client, subprocess, sys, time
dll, base, path, accept = sys.argv[1:5]
host, port = base.removeprefix("http://").split(":")
start = time.monotonic()
process = subprocess.Popen(["dotnet", dll, "--urls", base], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    while time.monotonic() - start < 30:
        try:
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            connection.request("GET", path, headers={"Accept": accept})
            if connection.getresponse().status == 200:
                print(f"{time.monotonic() - start:.2f}")
                sys.exit(0)
        except OSError:
            pass
        time.sleep(0.01)
    sys.exit("no 200 within 30 s")
finally:
    process.terminate()
    process.wait()
PY
}

echo "== fresh storage, and an image to pull"
start_registry "$PORT" "$STORAGE"
config='{"architecture":"amd64","os":"linux"}'
digest="sha256:$(printf %s "$config" | sha256sum | cut -d' ' -f1)"
curl -sf -o /dev/null -X POST --data-binary "$config" "$BASE/v2/bench/cold/blobs/uploads/?digest=$digest"
manifest="{\"schemaVersion\":2,\"mediaType\":\"$OCI_MANIFEST\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"$digest\",\"size\":${#config}},\"layers\":[]}"
curl -sf -o /dev/null -X PUT -H "Content-Type: $OCI_MANIFEST" --data-binary "$manifest" "$BASE/v2/bench/cold/manifests/latest"
kill "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true; HOST_PID=""

declare -A runs
cases=("published deployed" "published local" "build deployed" "build local")
for i in $(seq 1 "$RUNS"); do
  for c in "${cases[@]}"; do
    read -r output mode <<< "$c"
    dll="$PUBLISHED/Registry.Functions.dll"; [ "$output" = build ] && dll=functions/Registry.Functions/bin/Release/net10.0/Registry.Functions.dll
    create=true; [ "$mode" = deployed ] && create=false
    runs["$c ping"]+="$(first_200 "$dll" /v2/ Registry__Storage__CreateBeforeStart=$create) "
    runs["$c pull"]+="$(first_200 "$dll" /v2/bench/cold/manifests/latest Registry__Storage__CreateBeforeStart=$create) "
  done
  echo "run $i done"
done

row() { local key=$1 label=$2; echo "| $label | $(tr ' ' '\n' <<< "${runs[$key]}" | grep . | median) | ${runs[$key]% } |"; }
cat > "$SCRATCH/section.md" <<MD
## Cold start

\`scripts/bench-coldstart.sh\` (RUNS=$RUNS), $(date -u +%Y-%m-%d), $(nproc) cores, Azurite on the same machine. Seconds from
the process start of the standalone host (authentication off) to its first 200, on storage that is in place; median
of $RUNS starts, each start measured once per line. *Published*: \`dotnet publish\` as deployed (ReadyToRun, linux-x64);
*build*: the plain Release build output. *As deployed*: \`Registry:Storage:CreateBeforeStart\` off (the Bicep creates
the tables; the host checks them in the background); *local*: the host creates them before it serves.

Target: the published app, as deployed, at most 0.4 s to its first 200 of \`GET /v2/\` (median): $(awk -v m="$(tr ' ' '\n' <<< "${runs[published deployed ping]}" | grep . | median)" 'BEGIN { print (m <= 0.4 ? "met" : "missed") }').

| Output, storage check, first 200 of | Median (s) | Runs (s) |
|---|---|---|
$(row "published deployed ping" "published, as deployed, \`GET /v2/\`")
$(row "published deployed pull" "published, as deployed, \`GET /v2/<repo>/manifests/<tag>\`")
$(row "published local ping" "published, local, \`GET /v2/\`")
$(row "published local pull" "published, local, \`GET /v2/<repo>/manifests/<tag>\`")
$(row "build deployed ping" "build, as deployed, \`GET /v2/\`")
$(row "build deployed pull" "build, as deployed, \`GET /v2/<repo>/manifests/<tag>\`")
$(row "build local ping" "build, local, \`GET /v2/\`")
$(row "build local pull" "build, local, \`GET /v2/<repo>/manifests/<tag>\`")

MD
write_section "Cold start" "$SCRATCH/section.md"
cat "$SCRATCH/section.md"
