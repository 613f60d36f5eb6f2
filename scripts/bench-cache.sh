#!/usr/bin/env bash
# Benchmarks pull-through caching on Azurite and writes the "## Caches" section of docs/benchmarks.md. An origin and a
# cache of it (two standalone hosts, Release, storage of their own); the cache reaches the origin through a counting
# proxy on loopback. Each of ROUNDS rounds pushes a fresh image (LAYERS layers of LAYER_MIB MiB, not timed) and times
# whole pulls (the manifest, then every blob at PARALLEL at once, redirects followed):
#  - a pull from the origin; the first pull through the cache (cold); a second pull through the cache (warm);
#    reported as medians and as ratios to the pull from the origin (targets: warm/origin at most 1, cold as measured);
#  - CONCURRENT cold pulls of one fresh image through the cache at once: the requests the upstream received per blob
#    and per manifest (target: one each).
#   scripts/bench-cache.sh      Env: ROUNDS=5 LAYERS=4 LAYER_MIB=8 PARALLEL=3 CONCURRENT=20
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
ROUNDS="${ROUNDS:-5}"; LAYERS="${LAYERS:-4}"; LAYER_MIB="${LAYER_MIB:-8}"; PARALLEL="${PARALLEL:-3}"; CONCURRENT="${CONCURRENT:-20}"
STAMP=$(date +%s)
ORIGIN=5170; PROXY=5171; CACHE=5172
EXTRA=()
trap 'for p in "${EXTRA[@]}"; do kill "$p" 2>/dev/null; done; bench_cleanup' EXIT
start_registry "$ORIGIN" "benchorigin$STAMP"
EXTRA+=("$HOST_PID")
python3 - "$PROXY" "$ORIGIN" > "$SCRATCH/proxy.log" 2>&1 <<'PY' &
import http.client, http.server, sys, threading
port, target = int(sys.argv[1]), int(sys.argv[2])
counts, lock = {}, threading.Lock()
class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def handle_one(self):
        if self.path == "/_counts":
            with lock: body = "\n".join(f"{v} {k}" for k, v in counts.items()).encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
        with lock: counts[f"{self.command} {self.path.split('?')[0]}"] = counts.get(f"{self.command} {self.path.split('?')[0]}", 0) + 1
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection("127.0.0.1", target)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse(); data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"): self.send_header(k, v)
        self.send_header("Content-Length", str(len(data) if self.command != "HEAD" else int(r.getheader("Content-Length") or 0)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(data)
        conn.close()
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one
http.server.ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
PY
EXTRA+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PROXY/v2/" && break; sleep 0.05; done
start_registry "$CACHE" "benchcache$STAMP" Registry__Cache__Upstream="http://127.0.0.1:$PROXY" Registry__Cache__TagRevalidateAfter=01:00:00
EXTRA+=("$HOST_PID"); HOST_PID=""

python3 - "$ORIGIN" "$CACHE" "$PROXY" "$ROUNDS" "$LAYERS" "$LAYER_MIB" "$PARALLEL" "$CONCURRENT" > "$SCRATCH/figures" <<'PY'
import concurrent.futures, hashlib, http.client, json, os, statistics, sys, time, urllib.parse
origin, cache, proxy, rounds, layers, mib, parallel, concurrent_pulls = map(int, sys.argv[1:9])

def request(port, method, path, body=None, headers=None, host="127.0.0.1"):
    conn = http.client.HTTPConnection(host, port, timeout=300)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse(); data = r.read(); conn.close()
    return r.status, dict(r.getheaders()), data

def push(repo):
    blobs = [json.dumps({"architecture": "amd64", "os": "linux", "n": os.urandom(8).hex()}).encode()] + [os.urandom(mib << 20) for _ in range(layers)]
    digests = []
    for data in blobs:
        d = "sha256:" + hashlib.sha256(data).hexdigest()
        s, _, _ = request(origin, "POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data)
        assert s == 201, s
        digests.append((d, len(data)))
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digests[0][0], "size": digests[0][1]},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": n} for d, n in digests[1:]]}).encode()
    s, _, _ = request(origin, "PUT", f"/v2/{repo}/manifests/v1", m, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert s == 201, s
    return [d for d, _ in digests], "sha256:" + hashlib.sha256(m).hexdigest()

def get_blob(port, repo, digest):
    s, h, data = request(port, "GET", f"/v2/{repo}/blobs/{digest}")
    if s == 307:
        u = urllib.parse.urlsplit(h["Location"])
        s, _, data = request(u.port, "GET", u.path + "?" + u.query, host=u.hostname)
    assert s == 200 and "sha256:" + hashlib.sha256(data).hexdigest() == digest, (s, digest)

def pull(port, repo):
    start = time.perf_counter()
    s, _, m = request(port, "GET", f"/v2/{repo}/manifests/v1", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert s == 200, s
    doc = json.loads(m)
    digests = [doc["config"]["digest"]] + [l["digest"] for l in doc["layers"]]
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda d: get_blob(port, repo, d), digests))
    return time.perf_counter() - start

def settle(repo):
    """Until the cache serves every blob of the image from its own storage: the cold pull's fetch has been stored."""
    s, _, m = request(cache, "GET", f"/v2/{repo}/manifests/v1", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    doc = json.loads(m)
    for d in [doc["config"]["digest"]] + [l["digest"] for l in doc["layers"]]:
        for _ in range(600):
            if request(cache, "HEAD", f"/v2/{repo}/blobs/{d}")[0] == 200 and request(cache, "GET", f"/v2/{repo}/blobs/{d}")[0] == 307: break
            time.sleep(0.05)

direct, cold, warm = [], [], []
stamp = os.urandom(4).hex()
for r in range(rounds):
    repo = f"bench/c{stamp}r{r}"
    push(repo)
    pull(origin, repo)                       # the origin's first read, not timed
    direct.append(pull(origin, repo))
    cold.append(pull(cache, repo))
    settle(repo)
    warm.append(pull(cache, repo))

repo = f"bench/c{stamp}many"
digests, manifest = push(repo)
with concurrent.futures.ThreadPoolExecutor(concurrent_pulls) as pool:
    list(pool.map(lambda _: pull(cache, repo), range(concurrent_pulls)))
_, _, counts = request(proxy, "GET", "/_counts")
seen = {}
for line in counts.decode().splitlines():
    n, method, path = line.split(" ", 2)
    if f"/v2/{repo}/" in path: seen[f"{method} {path}"] = int(n)
blob_gets = [seen.get(f"GET /v2/{repo}/blobs/{d}", 0) for d in digests]
manifest_gets = sum(v for k, v in seen.items() if k.startswith("GET ") and "/manifests/" in k)
manifest_heads = sum(v for k, v in seen.items() if k.startswith("HEAD ") and "/manifests/" in k)
med = statistics.median
print(f"direct {med(direct):.3f}\ncold {med(cold):.3f}\nwarm {med(warm):.3f}")
print(f"blob_gets_max {max(blob_gets)}\nblob_gets_total {sum(blob_gets)}\nblobs {len(digests)}\nmanifest_gets {manifest_gets}\nmanifest_heads {manifest_heads}")
PY
cat "$SCRATCH/figures"
fig() { awk -v k="$1" '$1 == k { print $2 }' "$SCRATCH/figures"; }
direct=$(fig direct); cold=$(fig cold); warm=$(fig warm)
cat > "$SCRATCH/section.md" <<MD
## Caches

\`ROUNDS=$ROUNDS LAYERS=$LAYERS LAYER_MIB=$LAYER_MIB PARALLEL=$PARALLEL CONCURRENT=$CONCURRENT scripts/bench-cache.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores,
Azurite in memory). An origin and a cache of it, two standalone hosts (Release) on one machine with storage of their own;
the cache reaches the origin through a counting proxy. A pull is the manifest and then every blob, $PARALLEL at once, redirects
followed to storage; each round pushes a fresh image of $LAYERS layers of $LAYER_MIB MiB. Medians of $ROUNDS rounds.

| pull | seconds | ratio to a pull from the origin |
|---|---|---|
| from the origin | $direct | 1.00 |
| through the cache, first (cold: fetched from the origin while served) | $cold | $(calc "$cold / $direct") |
| through the cache, second (warm: the cache's own storage) | $warm | $(calc "$warm / $direct") (target: at most 1.00) |

$CONCURRENT cold pulls of one fresh image through the cache at once: the origin received at most $(fig blob_gets_max) GET per blob
($(fig blob_gets_total) for $(fig blobs) blobs), $(fig manifest_gets) GET and $(fig manifest_heads) HEAD of the manifest (target: one per blob and manifest).
On one machine the cache and the origin share the same Azurite, so the warm ratio shows the cache's own overhead, not
the distance it saves; the cold pull streams the origin's bytes to the first client while it stores them, and the warm
pull starts once the cache has stored them (a pull that comes sooner waits for that fetch).

MD
write_section "Caches" "$SCRATCH/section.md"
echo "== written to docs/benchmarks.md"
