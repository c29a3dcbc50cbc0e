#!/usr/bin/env bash
# Starts a local cluster on this machine: 3 nats-server (clustered, JetStream), 3 etcd members and
# N_NODES orchestrator nodes (default 3), every one on free ports, with configs, data, logs and
# pid files in the run dir ($MAESTRO_CLUSTER_DIR, default .data/cluster). Stop it with
# cluster/stop-local.sh. N_NODES=0 starts only the servers.
#
#   cluster/start-local.sh [N_NODES]
#   MAESTRO_NODE_ARGS="--partitions 64" cluster/start-local.sh 2   # extra args for every node
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=cluster/lib.sh
source "$HERE/lib.sh"

N_NODES=${1:-3}
if ! [[ "$N_NODES" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [N_NODES]   (N_NODES: number of orchestrator nodes, default 3; got '$N_NODES')" >&2
  exit 2
fi
RUN=${MAESTRO_CLUSTER_DIR:-$ROOT/.data/cluster}
RUN=$(mkdir -p "$RUN" && cd "$RUN" && pwd)
PIDS=$RUN/pids

for bin in nats-server etcd node curl; do
  command -v "$bin" >/dev/null 2>&1 || { echo "error: $bin not found (scripts/install-servers.sh installs nats-server and etcd)" >&2; exit 1; }
done
if [ "$N_NODES" -gt 0 ] && [ ! -f "$ROOT/bin/maestro.js" ]; then
  echo "error: $ROOT/bin/maestro.js not found; build the CLI or run with N_NODES=0 for servers only" >&2
  exit 1
fi
if compgen -G "$PIDS/*.pid" >/dev/null; then
  for f in "$PIDS"/*.pid; do
    if alive "$f"; then
      echo "error: a cluster is already running from $RUN ($(basename "$f" .pid) pid $(cat "$f")); run cluster/stop-local.sh first" >&2
      exit 1
    fi
  done
  rm -f "$PIDS"/*.pid
fi
mkdir -p "$PIDS" "$RUN/logs" "$RUN/nats" "$RUN/etcd" "$RUN/nodes"

# The ports of NATS and etcd are picked on the first start and kept in $RUN/ports.env: etcd keeps
# its peer URLs in its member data and the NATS routes name each other, so a restart (after
# stop-local.sh without --clean) must reuse them. The nodes' ports are picked afresh every time.
PORTS_FILE=$RUN/ports.env
if [ -f "$PORTS_FILE" ]; then
  # shellcheck disable=SC1090
  source "$PORTS_FILE"
  read -r -a server_ports <<<"${SERVER_PORTS:-}"
  if [ "${#server_ports[@]}" -ne 15 ]; then
    echo "error: $PORTS_FILE does not list 15 SERVER_PORTS; run cluster/stop-local.sh --clean to start afresh" >&2
    exit 1
  fi
  for p in "${server_ports[@]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "error: port $p (kept in $PORTS_FILE for this cluster's data) is in use; free it, or run cluster/stop-local.sh --clean to start afresh" >&2
      exit 1
    fi
  done
  echo "restarting the cluster in $RUN on its ports from $PORTS_FILE" >&2
  # shellcheck disable=SC2207
  node_ports=($(free_ports $((2 * N_NODES))))
else
  # shellcheck disable=SC2207
  all_ports=($(free_ports $((15 + 2 * N_NODES))))
  server_ports=("${all_ports[@]:0:15}")
  node_ports=("${all_ports[@]:15}")
  printf '# written by cluster/start-local.sh on the first start; reused on every restart\nSERVER_PORTS="%s"\n' "${server_ports[*]}" >"$PORTS_FILE"
fi
nats_client=("${server_ports[@]:0:3}")
nats_cluster=("${server_ports[@]:3:3}")
nats_http=("${server_ports[@]:6:3}")
etcd_client=("${server_ports[@]:9:3}")
etcd_peer=("${server_ports[@]:12:3}")
node_grpc=("${node_ports[@]:0:$N_NODES}")
node_http=("${node_ports[@]:$N_NODES:$N_NODES}")

on_error() {
  echo "start failed; stopping what was started (logs stay in $RUN/logs)" >&2
  "$HERE/stop-local.sh" >/dev/null 2>&1 || true
}
trap on_error ERR

echo "starting nats-server x3 (JetStream, cluster 'maestro')" >&2
routes=""
for i in 0 1 2; do routes+="    nats-route://127.0.0.1:${nats_cluster[$i]}"$'\n'; done
for i in 0 1 2; do
  name="nats-$((i + 1))"
  cat >"$RUN/nats/$name.conf" <<CONF
server_name: $name
listen: 127.0.0.1:${nats_client[$i]}
http: 127.0.0.1:${nats_http[$i]}
jetstream {
  store_dir: "$RUN/nats/$name"
  max_memory_store: 256MB
  max_file_store: 4GB
}
cluster {
  name: maestro
  listen: 127.0.0.1:${nats_cluster[$i]}
  routes: [
$routes  ]
}
CONF
  launch "$name" "$RUN/logs/$name.log" "$PIDS/$name.pid" nats-server -c "$RUN/nats/$name.conf"
done

echo "starting etcd x3" >&2
initial=""
for i in 0 1 2; do initial+="etcd-$((i + 1))=http://127.0.0.1:${etcd_peer[$i]},"; done
initial=${initial%,}
# The token only matters when the members are created (an existing member keeps its own).
token="maestro-local-$(basename "$RUN")"
for i in 0 1 2; do
  name="etcd-$((i + 1))"
  state=new
  [ -d "$RUN/etcd/$name/member" ] && state=existing
  launch "$name" "$RUN/logs/$name.log" "$PIDS/$name.pid" etcd \
    --name="$name" --data-dir="$RUN/etcd/$name" --logger=zap --log-level=warn \
    --listen-client-urls="http://127.0.0.1:${etcd_client[$i]}" \
    --advertise-client-urls="http://127.0.0.1:${etcd_client[$i]}" \
    --listen-peer-urls="http://127.0.0.1:${etcd_peer[$i]}" \
    --initial-advertise-peer-urls="http://127.0.0.1:${etcd_peer[$i]}" \
    --initial-cluster="$initial" --initial-cluster-state="$state" --initial-cluster-token="$token"
done

for i in 0 1 2; do
  wait_http "http://127.0.0.1:${nats_http[$i]}/healthz?js-enabled-only=true" "$PIDS/nats-$((i + 1)).pid" "nats-$((i + 1))"
  wait_http "http://127.0.0.1:${etcd_client[$i]}/health" "$PIDS/etcd-$((i + 1)).pid" "etcd-$((i + 1))"
done

join() { local IFS=,; echo "$*"; }
NATS_URLS=$(join "${nats_client[@]/#/nats://127.0.0.1:}")
ETCD_ENDPOINTS=$(join "${etcd_client[@]/#/http://127.0.0.1:}")

if [ "$N_NODES" -gt 0 ]; then
  echo "starting $N_NODES orchestrator node(s)" >&2
  read -r -a extra <<<"${MAESTRO_NODE_ARGS:-}"
  for ((i = 0; i < N_NODES; i++)); do
    name="node-$((i + 1))"
    mkdir -p "$RUN/nodes/$name"
    (cd "$RUN/nodes/$name" && launch "$name" "$RUN/logs/$name.log" "$PIDS/$name.pid" \
      node "$ROOT/bin/maestro.js" node --nats "$NATS_URLS" --etcd "$ETCD_ENDPOINTS" --grpc-port "${node_grpc[$i]}" --http-port "${node_http[$i]}" --replicas 3 \
      ${extra[@]+"${extra[@]}"})
  done
  for ((i = 0; i < N_NODES; i++)); do
    wait_tcp "${node_grpc[$i]}" "$PIDS/node-$((i + 1)).pid" "node-$((i + 1))" 60
  done
fi
trap - ERR

GRPC=$(join "${node_grpc[@]/#/127.0.0.1:}")
cat >"$RUN/endpoints.env" <<ENV
# written by cluster/start-local.sh at $(date -u +%FT%TZ)
MAESTRO_CLUSTER_DIR=$RUN
NATS_URLS=$NATS_URLS
NATS_MONITOR=$(join "${nats_http[@]/#/http://127.0.0.1:}")
NATS_CLUSTER_PORTS=$(join "${nats_cluster[@]}")
ETCD_ENDPOINTS=$ETCD_ENDPOINTS
ETCD_PEER_PORTS=$(join "${etcd_peer[@]}")
NODE_GRPC=$GRPC
NODE_HTTP=$(join "${node_http[@]/#/http://127.0.0.1:}")
ENV

cat <<OUT
cluster running (run dir $RUN)
  NATS (JetStream):  $NATS_URLS
  etcd:              $ETCD_ENDPOINTS
  node gRPC:         ${GRPC:-(no nodes)}
  endpoints file:    $RUN/endpoints.env   (source it)
  logs:              $RUN/logs/
stop with: cluster/stop-local.sh
OUT
