#!/usr/bin/env bash
# Runs every test: unit and HTTP integration tests (xUnit, on Azurite, through the standalone host and through the
# Functions-host stand-in), the Bicep build and lint, the end-to-end tests with skopeo, podman, buildah and docker
# against both hosts, whose answers to the suite must not differ, and the Notary client and docker content trust
# against the standalone host over TLS. Installs what it needs on Debian (as root: skopeo, podman, buildah,
# docker.io, notary, golang-go, python3, rpm and db5.3-util (the scanner's tests build Go programs and RPM
# databases, and read ground truth with them), jq, curl, openssl; Azurite from package-lock.json), starts Azurite
# when it is not running and dockerd on a socket of its own, and stops what it started.
# Last line: "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCRATCH="$(mktemp -d)"
PASSED=0; FAILED=0
GROUPS_STARTED=()
started_azurite=0
cleanup() {
  for pgid in "${GROUPS_STARTED[@]}"; do kill -TERM "-$pgid" 2>/dev/null; done
  for pgid in "${GROUPS_STARTED[@]}"; do
    for _ in $(seq 1 50); do kill -0 "-$pgid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "-$pgid" 2>/dev/null
  done
  [ "$started_azurite" = 1 ] && scripts/azurite.sh stop
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
count() { PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2)); }
# start_group LOG COMMAND...: runs COMMAND in a process group of its own (stopped by cleanup)
start_group() { local log=$1; shift; setsid "$@" > "$log" 2>&1 < /dev/null & GROUPS_STARTED+=("$!"); }
# wait_for URL: until the registry there answers /v2/ (200, or 401 with authentication on)
wait_for() {
  for _ in $(seq 1 300); do
    case $(curl -s -o /dev/null -w '%{http_code}' "$1") in 200|401) return 0 ;; esac; sleep 0.2
  done
  return 1
}

echo "== prerequisites"
need=()
for tool in skopeo podman buildah jq curl openssl dockerd notary docker-registry go python3 rpmbuild db5.3_load; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing: ${need[*]}; install them (Debian: apt-get install skopeo podman buildah docker.io docker-registry notary golang-go python3 rpm db5.3-util jq curl openssl uidmap) or run as root"
    echo "0 passed, 1 failed"; exit 1
  fi
  packages=()
  for tool in "${need[@]}"; do
    case $tool in
      dockerd) packages+=(docker.io) ;; go) packages+=(golang-go) ;; rpmbuild) packages+=(rpm) ;; db5.3_load) packages+=(db5.3-util) ;;
      *) packages+=("$tool") ;;
    esac
  done
  echo "installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}" ca-certificates tar gzip uidmap > /dev/null; } \
    || { echo "0 passed, 1 failed"; exit 1; }
fi
[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund || { echo "0 passed, 1 failed"; exit 1; }

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
# the template, and each parameter file: development (origin only), production (two caches, private networking, Front
# Door), and two more shapes (two public caches; the origin alone, private, behind Front Door)
checks=("build infra/main.bicep --stdout" "lint infra/main.bicep")
for params in infra/dev.bicepparam infra/prod.bicepparam tests/infra/two-caches-public.bicepparam tests/infra/origin-private.bicepparam; do
  checks+=("build-params $params --stdout" "lint $params")
done
for check in "${checks[@]}"; do
  # shellcheck disable=SC2086
  if "$BICEP" $check > "$SCRATCH/bicep.out" 2>&1; then echo "PASS bicep $check"; count 1 0
  else echo "FAIL bicep $check"; cat "$SCRATCH/bicep.out"; count 0 1; fi
done

echo "== end to end: real clients against the standalone host and through the Functions-host stand-in"
APP="functions/Registry.Functions/bin/Debug/net10.0"
STANDIN="tests/Registry.FunctionsHost/bin/Debug/net10.0/Registry.FunctionsHost.dll"
E2E_PASSWORD="e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
E2E_NS="e2e$(date +%s)$RANDOM"
AZURITE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://localhost:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
# registry_env PREFIX: the settings both hosts get (storage names of their own); the Functions host also needs what
# its bindings name, as infra/ sets it.
registry_env() {
  ENV=(Registry__Storage__Container="$1" Registry__Storage__TablePrefix="$1" Registry__Scan__Queue="$1-scans" Registry__Signing__Queue="$1-signatures" Registry__Webhooks__Queue="$1-webhooks" Registry__Mirroring__Queue="$1-mirrors"
    Registry__Storage__ConnectionString="$AZURITE" Logging__LogLevel__Default=Warning Registry__Auth__AdminPassword="$E2E_PASSWORD"
    Registry__Gc__ManifestGracePeriod=00:00:02 Registry__Gc__BlobGracePeriod=00:00:02 Registry__Gc__TouchInterval=00:00:01
    AzureWebJobsStorage=UseDevelopmentStorage=true FUNCTIONS_REQUEST_BODY_SIZE_LIMIT=4294967296
    Registry__Pruning__Schedule="0 */15 * * * *" Registry__Gc__Schedule="0 0 2 * * *" Registry__Scan__DatabaseSchedule="0 0 3 * * *" Registry__Cache__Schedule="0 */30 * * * *" Registry__Mirroring__PollSchedule="0 */15 * * * *"
    Registry__Mirroring__AllowPrivateNetworks=true)
}
# standalone host on 5055, seen through the recording forwarder on 5057; the Functions host stand-in on 5056
registry_env "${E2E_NS}s"
start_group "$SCRATCH/standalone.log" env "${ENV[@]}" dotnet "$APP/Registry.Functions.dll" --urls http://127.0.0.1:5055
start_group "$SCRATCH/forwarder.log" dotnet "$STANDIN" --forward http://127.0.0.1:5055 --urls http://127.0.0.1:5057 --record "$SCRATCH/standalone.answers"
registry_env "${E2E_NS}f"
start_group "$SCRATCH/functions.log" env "${ENV[@]}" dotnet "$STANDIN" --app "$APP" --urls http://127.0.0.1:5056 --record "$SCRATCH/functions.answers"
# the standalone host over TLS on 5058, with a CA and a server certificate made here
TLS="$SCRATCH/tls"; mkdir -p "$TLS/ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=e2e CA" -keyout "$TLS/ca.key" -out "$TLS/ca/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=registry" -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$TLS/ext.cnf"
openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial -days 2 -extfile "$TLS/ext.cnf" -out "$TLS/server.crt" 2>/dev/null
registry_env "${E2E_NS}t"
start_group "$SCRATCH/tls.log" env "${ENV[@]}" Kestrel__Endpoints__Https__Url=https://127.0.0.1:5058 \
  Kestrel__Endpoints__Https__Certificate__Path="$TLS/server.crt" Kestrel__Endpoints__Https__Certificate__KeyPath="$TLS/server.key" \
  dotnet "$APP/Registry.Functions.dll"
# a cache of the standalone host (its origin) on 5059; the CNCF reference registry on 5061 and a cache mirroring it on 5060
registry_env "${E2E_NS}c"
start_group "$SCRATCH/cache.log" env "${ENV[@]}" Registry__Cache__Upstream=http://127.0.0.1:5055 Registry__Cache__Origin=true \
  Registry__Cache__Name=e2e Registry__Cache__Username=admin Registry__Cache__Password="$E2E_PASSWORD" \
  dotnet "$APP/Registry.Functions.dll" --urls http://127.0.0.1:5059
mkdir -p "$SCRATCH/distribution"
printf 'version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:5061\n' \
  "$SCRATCH/distribution/data" > "$SCRATCH/distribution/config.yml"
start_group "$SCRATCH/distribution.log" docker-registry serve "$SCRATCH/distribution/config.yml"
registry_env "${E2E_NS}m"
start_group "$SCRATCH/mirror.log" env "${ENV[@]}" Registry__Auth__Enabled=false Registry__Cache__Upstream=http://127.0.0.1:5061 \
  dotnet "$APP/Registry.Functions.dll" --urls http://127.0.0.1:5060
DOCKER_ARGS=()
if command -v dockerd >/dev/null; then
  mkdir -p "$SCRATCH/docker"
  start_group "$SCRATCH/dockerd.log" dockerd --storage-driver vfs --iptables=false --bridge=none \
    --insecure-registry 127.0.0.1:5056 --insecure-registry 127.0.0.1:5057 --insecure-registry 127.0.0.1:5058 \
    --insecure-registry 127.0.0.1:5059 --insecure-registry 127.0.0.1:5060 --insecure-registry 127.0.0.1:5061 --data-root "$SCRATCH/docker/root" \
    --exec-root "$SCRATCH/docker/exec" --pidfile "$SCRATCH/docker/pid" -H "unix://$SCRATCH/docker/sock"
  DOCKER_ARGS=(DOCKER_HOST="unix://$SCRATCH/docker/sock")
fi
# the standalone host first: the recorder in front of it would record its 502s while it starts
wait_for http://127.0.0.1:5055/v2/ && wait_for http://127.0.0.1:5057/v2/ && wait_for http://127.0.0.1:5056/v2/ \
  || { cat "$SCRATCH"/*.log; echo "hosts did not start"; count 0 1; }

for run in standalone:5057 functions:5056; do
  name=${run%%:*}; port=${run#*:}
  echo "-- $name"
  env "${DOCKER_ARGS[@]}" E2E_NS="$E2E_NS" CREDS="admin:$E2E_PASSWORD" GC_WAIT=3 BIG_MIB=100 MIRROR_REMOTE=127.0.0.1:5061 \
    tests/e2e/clients.sh "127.0.0.1:$port" | tee "$SCRATCH/e2e-$name.out"
  line=$(tail -n1 "$SCRATCH/e2e-$name.out")
  if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then count "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"; else count 0 1; fi
  if grep -q "fail:" "$SCRATCH/$name.log"; then echo "# $name host errors:"; grep -A5 "fail:" "$SCRATCH/$name.log" | head -40; fi
done

echo "-- GC by timer invocation, through the Functions host stand-in"
env E2E_NS="$E2E_NS" CREDS="admin:$E2E_PASSWORD" GC_WAIT=3 tests/e2e/gc-timer.sh 127.0.0.1:5056 | tee "$SCRATCH/e2e-timer.out"
line=$(tail -n1 "$SCRATCH/e2e-timer.out")
if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then count "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"; else count 0 1; fi

echo "-- pull-through caches: of the standalone host, and of the CNCF reference registry"
wait_for http://127.0.0.1:5059/v2/ && wait_for http://127.0.0.1:5060/v2/ && wait_for http://127.0.0.1:5061/v2/ \
  || { tail -n 20 "$SCRATCH/cache.log" "$SCRATCH/mirror.log" "$SCRATCH/distribution.log"; echo "caches did not start"; count 0 1; }
env "${DOCKER_ARGS[@]}" E2E_NS="$E2E_NS" CREDS="admin:$E2E_PASSWORD" UPSTREAM_LOG="$SCRATCH/distribution.log" \
  tests/e2e/cache.sh 127.0.0.1:5055 127.0.0.1:5059 127.0.0.1:5061 127.0.0.1:5060 | tee "$SCRATCH/e2e-cache.out"
line=$(tail -n1 "$SCRATCH/e2e-cache.out")
if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then count "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"; else count 0 1; fi
for log in cache mirror; do
  if grep -q "fail:" "$SCRATCH/$log.log"; then echo "# $log host errors:"; grep -A5 "fail:" "$SCRATCH/$log.log" | head -40; fi
done

echo "-- Notary and docker content trust, against the standalone host over TLS"
for _ in $(seq 1 300); do
  case $(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS/ca/ca.crt" https://127.0.0.1:5058/v2/) in 200|401) break ;; esac; sleep 0.2
done
env "${DOCKER_ARGS[@]}" E2E_NS="$E2E_NS" CREDS="admin:$E2E_PASSWORD" CA="$TLS/ca/ca.crt" tests/e2e/notary.sh 127.0.0.1:5058 | tee "$SCRATCH/e2e-notary.out"
line=$(tail -n1 "$SCRATCH/e2e-notary.out")
if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then count "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"; else count 0 1; fi
if grep -q "fail:" "$SCRATCH/tls.log"; then echo "# TLS host errors:"; grep -A5 "fail:" "$SCRATCH/tls.log" | head -40; fi

echo "-- the two hosts answer the suite alike (status and the spec's headers)"
sort -u "$SCRATCH/standalone.answers" > "$SCRATCH/a"; grep -v "/gc-timer" "$SCRATCH/functions.answers" | sort -u > "$SCRATCH/b"
if diff "$SCRATCH/a" "$SCRATCH/b" > "$SCRATCH/answers.diff"; then
  echo "PASS both hosts answered $(wc -l < "$SCRATCH/a") distinct requests alike"; count 1 0
else
  echo "FAIL the hosts answered differently (< standalone, > Functions host):"; grep '^[<>]' "$SCRATCH/answers.diff" | head -60; count 0 1
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
