#!/usr/bin/env bash
# Benchmarks events and health on Azurite and writes the "## Events and health" section of docs/benchmarks.md:
#  - push latency with events and a webhook on (the Storage Queue publisher, a TAG_PUSH webhook delivered to a
#    listener on loopback) against both off, two standalone hosts (Release) in one run, ROUNDS alternating rounds of
#    PUSHES manifest pushes each (blobs uploaded first, not timed): the ratio of the median latencies (target: off / on
#    at least 0.95), and the deliveries the listener got;
#  - events drained from the outbox by one instance: a host whose queue endpoint refuses connections leaves BACKLOG
#    events in the outbox (BACKLOG/2 pushes); a second host on the same storage with a working queue gets one push,
#    whose drain publishes everything: timed from that push's answer until the queue holds them all;
#  - /_ping requests per second, 4 threads with a connection each, PINGS requests in all.
#   scripts/bench-events.sh      Env: PUSHES=50 ROUNDS=5 BACKLOG=400 PINGS=4000
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
PUSHES="${PUSHES:-50}"; ROUNDS="${ROUNDS:-5}"; BACKLOG="${BACKLOG:-400}"; PINGS="${PINGS:-4000}"
STAMP=$(date +%s)
OFF=5150; ON=5151; DOWN=5152; DRAIN=5153
EXTRA=()
trap 'for p in "${EXTRA[@]}"; do kill "$p" 2>/dev/null; done; bench_cleanup' EXIT
start_extra() {
  local port=$1 storage=$2; shift 2
  env Registry__Storage__Container="$storage" Registry__Storage__TablePrefix="$storage" Registry__Scan__Queue="$storage-scans" Registry__Signing__Queue="$storage-signatures" Registry__Webhooks__Queue="$storage-webhooks" Registry__Mirroring__Queue="$storage-mirrors" \
    Registry__Auth__Enabled=false Logging__LogLevel__Default=Error "$@" \
    dotnet functions/Registry.Functions/bin/Release/net10.0/Registry.Functions.dll --urls "http://127.0.0.1:$port" > "$SCRATCH/host-$port.log" 2>&1 &
  EXTRA+=($!)
  for _ in $(seq 1 500); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && return 0; sleep 0.02; done
  echo "a registry did not start on $port" >&2; return 1
}
AZURITE_QUEUES="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://localhost:10000/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
start_registry "$OFF" "benchevoff$STAMP"
start_extra "$ON" "benchevon$STAMP" Registry__Events__Publisher=queue Registry__Events__Queue="benchevon$STAMP-events" \
  Registry__Webhooks__AllowedNetworks__0=127.0.0.0/8
# the same storage twice: one host cannot reach its queue (port 9 refuses), the other can
start_extra "$DOWN" "benchevdrain$STAMP" Registry__Events__Publisher=queue Registry__Events__Queue="benchevdrain$STAMP-events" \
  Registry__Storage__ConnectionString="${AZURITE_QUEUES}QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;" Registry__Storage__MaxRetries=0
start_extra "$DRAIN" "benchevdrain$STAMP" Registry__Events__Publisher=queue Registry__Events__Queue="benchevdrain$STAMP-events"

python3 - "$OFF" "$ON" "$DOWN" "$DRAIN" "$PUSHES" "$ROUNDS" "$BACKLOG" "$PINGS" "$BENCH" "benchevdrain$STAMP-events" > "$SCRATCH/figures" <<'PY'
import hashlib, http.client, http.server, json, statistics, subprocess, sys, threading, time
off, on, down, drain, pushes, rounds, backlog, pings = map(int, sys.argv[1:9])
bench, queue = sys.argv[9], sys.argv[10]

def call(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse(); data = r.read()
    return r.status, data

def blob(conn, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, _ = call(conn, "POST", f"/v2/{repo}/blobs/uploads/?digest={digest}", data)
    assert status == 201, status
    return digest

config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
def manifest(c, l, n):
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": c, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": l, "size": 1024}],
        "annotations": {"n": str(n)}}).encode()

def prepare(port, repo):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    c = blob(conn, repo, config); l = blob(conn, repo, bytes(1024))
    return conn, c, l

def push(conn, repo, c, l, n):
    start = time.perf_counter()
    status, _ = call(conn, "PUT", f"/v2/{repo}/manifests/t{n}", manifest(c, l, n), {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert status == 201, status
    return time.perf_counter() - start

# a webhook receiver on loopback, counting deliveries
received = []
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received.append(self.headers.get("ce-id"))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=listener.serve_forever, daemon=True).start()

# push latency, events and a webhook on, and both off, alternating rounds
hosts = {name: prepare(port, "bench/events") for name, port in (("off", off), ("on", on))}
conn, c, l = hosts["on"]
push(conn, "bench/events", c, l, 0)   # the repository exists: the webhook can be keyed on it
time.sleep(1)                          # and this push's own drain is done before the webhook exists
status, body = call(conn, "POST", "/api/v0/webhooks", json.dumps({"type": "TAG_PUSH", "key": "bench/events",
    "endpoint": f"http://127.0.0.1:{listener.server_address[1]}/hook"}).encode(), {"Content-Type": "application/json"})
assert status == 201, (status, body)
webhook = json.loads(body)["id"]
lat = {"off": [], "on": []}; n = 0
for _ in range(rounds):
    for name in ("on", "off"):
        conn, c, l = hosts[name]
        for _ in range(pushes):
            n += 1; lat[name].append(push(conn, "bench/events", c, l, n))
m_off, m_on = statistics.median(lat["off"]), statistics.median(lat["on"])
print(f"latency {m_off*1000:.1f} {m_on*1000:.1f} {m_off/m_on:.2f}")
deadline = time.time() + 120
while len(set(received)) < pushes * rounds and time.time() < deadline:
    time.sleep(0.2)
print(f"webhook {len(set(received))} {pushes * rounds}")

# the backlog: pushes while the queue is unreachable, then one push on the instance that can publish
conn, c, l = prepare(down, "bench/backlog")
for i in range(backlog // 2):
    push(conn, "bench/backlog", c, l, 100000 + i)
conn, c, l = prepare(drain, "bench/backlog")
expected = backlog // 2 * 2 + 2
push(conn, "bench/backlog", c, l, 999999)
start = time.time()
done = float(subprocess.run(["dotnet", bench, "wait-queue-count", queue, str(expected)], capture_output=True, text=True, check=True).stdout.strip())
elapsed = done - start
print(f"drain {expected} {elapsed:.2f} {expected/elapsed:.0f}")

# /_ping
def work(count, port):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(count):
        status, _ = call(c, "GET", "/_ping"); assert status == 200
threads = [threading.Thread(target=work, args=(pings // 4, off)) for _ in range(4)]
start = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
print(f"ping {pings / (time.perf_counter() - start):.0f}")
PY
read -r _ LAT_OFF LAT_ON LAT_RATIO <<<"$(grep '^latency' "$SCRATCH/figures")"
read -r _ DRAINED DRAIN_S DRAIN_RATE <<<"$(grep '^drain' "$SCRATCH/figures")"
read -r _ PING_RATE <<<"$(grep '^ping' "$SCRATCH/figures")"
read -r _ HOOKED HOOK_EXPECTED <<<"$(grep '^webhook' "$SCRATCH/figures")"
cat "$SCRATCH/figures"

cat > "$SCRATCH/section" <<EOF
## Events and health

\`scripts/bench-events.sh\` ($(date -u +%Y-%m-%d), PUSHES=$PUSHES ROUNDS=$ROUNDS BACKLOG=$BACKLOG PINGS=$PINGS): standalone hosts (Release)
on Azurite, authentication off; where events are on, the Storage Queue publisher and a TAG_PUSH webhook delivered to
a listener on loopback (allowed by \`Registry__Webhooks__AllowedNetworks\`).

| measure | figure |
|---|---|
| manifest push (PUT), median latency, events and webhook off vs on, $ROUNDS alternating rounds of $PUSHES pushes per host | $LAT_OFF ms vs $LAT_ON ms: ratio off/on $LAT_RATIO (target at least 0.95) |
| webhook deliveries received (distinct event ids) | $HOOKED of $HOOK_EXPECTED |
| events drained from the outbox by one instance ($DRAINED events left by an instance that could not reach its queue, drained after one push on another) | $DRAIN_RATE events/s ($DRAINED in $DRAIN_S s) |
| \`/_ping\`, 4 threads with a connection each, $PINGS requests | $PING_RATE requests/s |

With events on, a push writes its events to the outbox in one table transaction (MANIFEST_PUSH and a TAG_PUSH per tag)
and reads an image config once per instance for os and architecture; the publishing happens a quarter second after
the answer, in batches, and the deliveries (one queue message per event and webhook, then a POST) run on the same two
cores as the pushes measured, which is most of the difference. \`/_ping\` answers from a storage check kept 5 seconds.

EOF
write_section "Events and health" "$SCRATCH/section"
echo "wrote the Events and health section of docs/benchmarks.md"
