#!/usr/bin/env bash
# Runs every test: unit and HTTP integration tests (xUnit, on Azurite), the Bicep build and lint, and the
# end-to-end tests with skopeo, podman and buildah against a standalone host. Starts Azurite when it is not
# running (and stops it after). Needs: .NET SDK 10, Node.js (npm), skopeo, podman, buildah, jq, curl.
# Last line: "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCRATCH="$(mktemp -d)"
PASSED=0; FAILED=0
HOST_PID=""
started_azurite=0
cleanup() {
  [ -n "$HOST_PID" ] && kill "$HOST_PID" 2>/dev/null && wait "$HOST_PID" 2>/dev/null
  [ "$started_azurite" = 1 ] && scripts/azurite.sh stop
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
count() { PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2)); }

if ! curl -s -o /dev/null http://127.0.0.1:10000/; then
  scripts/azurite.sh start || { echo "0 passed, 1 failed"; exit 1; }
  started_azurite=1
fi

echo "== build"
if ! dotnet build Serverless.sln -nologo -v quiet; then echo "0 passed, 1 failed"; exit 1; fi

echo "== unit and integration tests"
dotnet test Serverless.sln --no-build -nologo --logger "trx;LogFileName=results.trx" --results-directory "$SCRATCH/trx"
trx=$(find "$SCRATCH/trx" -name results.trx | head -n1)
if [ -n "$trx" ]; then
  p=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*')
  f=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*')
  count "${p:-0}" "${f:-1}"
else
  count 0 1
fi

echo "== infra: bicep build and lint"
dotnet restore tools/bicep/bicep.csproj -nologo -v quiet >/dev/null
BICEP="$(find "${NUGET_PACKAGES:-$HOME/.nuget/packages}/azure.bicep.commandline.linux-x64" -path '*/tools/bicep' -type f | sort | tail -n1)"
chmod +x "$BICEP" 2>/dev/null
for check in "build infra/main.bicep --stdout" "lint infra/main.bicep" "build-params infra/main.bicepparam --stdout"; do
  # shellcheck disable=SC2086
  if "$BICEP" $check > "$SCRATCH/bicep.out" 2>&1; then echo "PASS bicep $check"; count 1 0
  else echo "FAIL bicep $check"; cat "$SCRATCH/bicep.out"; count 0 1; fi
done

echo "== end to end: real clients against the standalone host"
PORT=5055
E2E_PREFIX="e2e$(date +%s)"
E2E_PASSWORD="e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
Registry__Storage__Container="$E2E_PREFIX" Registry__Storage__TablePrefix="$E2E_PREFIX" Logging__LogLevel__Default=Warning \
  Registry__Auth__AdminPassword="$E2E_PASSWORD" \
  Registry__Gc__ManifestGracePeriod=00:00:02 Registry__Gc__BlobGracePeriod=00:00:02 Registry__Gc__TouchInterval=00:00:01 \
  dotnet functions/Registry.Functions/bin/Debug/net10.0/Registry.Functions.dll --urls "http://127.0.0.1:$PORT" > "$SCRATCH/host.log" 2>&1 &
HOST_PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && break; sleep 0.2; done
CREDS="admin:$E2E_PASSWORD" GC_WAIT=3 tests/e2e/clients.sh "127.0.0.1:$PORT" | tee "$SCRATCH/e2e.out"
line=$(tail -n1 "$SCRATCH/e2e.out")
if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then count "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"; else count 0 1; cat "$SCRATCH/host.log"; fi
if grep -q "fail:" "$SCRATCH/host.log"; then echo "# host errors:"; grep -A5 "fail:" "$SCRATCH/host.log" | head -40; fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
