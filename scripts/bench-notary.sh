#!/usr/bin/env bash
# Benchmarks the fetch of Notary trust data against Debian's notary-server (in-memory storage, local signer) in the
# same run, and writes the "## Notary" section of docs/benchmarks.md. Both serve plain HTTP on loopback, without
# authentication; the Notary client publishes the same GUN (TARGETS targets) to each. Then CLIENTS threads, each on
# its own connection, GET /v2/<GUN>/_trust/tuf/targets.json for ROUNDS alternating rounds of REQUESTS requests per
# thread against each server; the figures are the medians of the rounds' requests/s.
#   scripts/bench-notary.sh      Env: TARGETS=20 CLIENTS=4 REQUESTS=500 ROUNDS=5
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
TARGETS="${TARGETS:-20}"; CLIENTS="${CLIENTS:-4}"; REQUESTS="${REQUESTS:-500}"; ROUNDS="${ROUNDS:-5}"
need notary-server notary
PORT=5140; NOTARY_PORT=5141
STORAGE="benchnotary$(date +%s)"
start_registry "$PORT" "$STORAGE"
cat > "$SCRATCH/server.json" <<JSON
{"server": {"http_addr": "127.0.0.1:$NOTARY_PORT"}, "trust_service": {"type": "local", "hostname": "", "port": "", "key_algorithm": "ecdsa"},
 "logging": {"level": "error"}, "storage": {"backend": "memory"}}
JSON
notary-server -config "$SCRATCH/server.json" > "$SCRATCH/notary-server.log" 2>&1 &
NOTARY_PID=$!
trap 'kill $NOTARY_PID 2>/dev/null; bench_cleanup' EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$NOTARY_PORT/_notary_server/health" && break; sleep 0.1; done

export NOTARY_ROOT_PASSPHRASE=bench NOTARY_TARGETS_PASSPHRASE=bench NOTARY_SNAPSHOT_PASSPHRASE=bench
GUN="registry.example/bench/notary"
for n in $(seq 1 "$TARGETS"); do head -c 512 /dev/urandom > "$SCRATCH/target-$n"; done
publish() {
  local server=$1 dir=$2
  notary -s "$server" -d "$dir" init "$GUN" > /dev/null
  for n in $(seq 1 "$TARGETS"); do notary -s "$server" -d "$dir" add "$GUN" "t$n" "$SCRATCH/target-$n" > /dev/null; done
  notary -s "$server" -d "$dir" publish "$GUN" > /dev/null
}
publish "http://127.0.0.1:$PORT" "$SCRATCH/trust-registry"
publish "http://127.0.0.1:$NOTARY_PORT" "$SCRATCH/trust-notary"

python3 - "$PORT" "$NOTARY_PORT" "/v2/$GUN/_trust/tuf/targets.json" "$CLIENTS" "$REQUESTS" "$ROUNDS" > "$SCRATCH/figures" <<'PY'
import http.client, statistics, sys, threading, time
registry, notary, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
clients, requests, rounds = map(int, sys.argv[4:])

def rate(port):
    conns = [http.client.HTTPConnection("127.0.0.1", port) for _ in range(clients)]
    for c in conns:   # warm: connect once
        c.request("GET", path); r = c.getresponse(); body = r.read(); assert r.status == 200, (port, r.status)
    size = len(body)
    def work(c):
        for _ in range(requests):
            c.request("GET", path); r = c.getresponse(); r.read(); assert r.status == 200
    threads = [threading.Thread(target=work, args=(c,)) for c in conns]
    start = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    elapsed = time.perf_counter() - start
    for c in conns: c.close()
    return clients * requests / elapsed, size

ours, theirs = [], []
for _ in range(rounds):
    a, size_a = rate(registry); b, size_b = rate(notary)
    ours.append(a); theirs.append(b)
print(f"fetch {statistics.median(ours):.0f} {statistics.median(theirs):.0f} {min(ours):.0f} {max(ours):.0f} {min(theirs):.0f} {max(theirs):.0f} {size_a} {size_b}")
PY
read -r _ OURS THEIRS OMIN OMAX TMIN TMAX SIZE_A SIZE_B <<<"$(grep '^fetch' "$SCRATCH/figures")"
cat "$SCRATCH/figures"
NOTARY_VERSION=$(dpkg-query -W -f '${Version}' notary 2>/dev/null || echo unknown)

cat > "$SCRATCH/section" <<EOF
## Notary

\`scripts/bench-notary.sh\` ($(date -u +%Y-%m-%d), TARGETS=$TARGETS CLIENTS=$CLIENTS REQUESTS=$REQUESTS ROUNDS=$ROUNDS): one standalone
host (Release) on Azurite, authentication off, against Debian's notary-server $NOTARY_VERSION (in-memory storage,
local signer) in the same run, both over plain HTTP on loopback. The Notary client published the same GUN with
$TARGETS targets to each (targets.json of $SIZE_A and $SIZE_B bytes); $CLIENTS threads, each on its own connection, then
fetched \`targets.json\` $REQUESTS times per round, in $ROUNDS rounds alternating between the two servers.

| server | GET .../_trust/tuf/targets.json, median of rounds | rounds |
|---|---|---|
| this registry | $OURS requests/s | $OMIN to $OMAX |
| notary-server (memory) | $THEIRS requests/s | $TMIN to $TMAX |

A fetch of the current targets file is one table point read (the role's current version) and the file itself, which
is kept in memory by checksum after the first read; notary-server reads both from memory. The table read is kept on
purpose: every instance must serve the newest version at once, or a client that saw a newer timestamp through one
instance would take a staler one from another for a rollback and refuse it.

EOF
write_section "Notary" "$SCRATCH/section"
echo "wrote the Notary section of docs/benchmarks.md"
