#!/usr/bin/env bash
# Stops what cluster/start-local.sh started, by the pids in its run dir: nodes first, then etcd
# and NATS. Data stays (and ports.env, so start-local.sh restarts the same cluster on the same
# ports); `--clean` also deletes the run dir.
#
#   cluster/stop-local.sh [--clean]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=cluster/lib.sh
source "$HERE/lib.sh"

RUN=${MAESTRO_CLUSTER_DIR:-$ROOT/.data/cluster}
PIDS=$RUN/pids
clean=0
case "${1:-}" in
  --clean) clean=1 ;;
  "") ;;
  *) echo "usage: $0 [--clean]" >&2; exit 2 ;;
esac

if [ -d "$PIDS" ]; then
  # Nodes and NATS servers stop in parallel. etcd members stop one after the other, each on
  # SIGTERM (about 2 s each: a leader hands leadership to a member still running); stopped
  # together, each would wait ~9 s for a leader transfer that cannot happen. SIGKILL only when
  # one is still running 15 s after its SIGTERM (a node exits by itself within its own
  # shutdownTimeoutMs, 10 s by default, so its graceful stop is never cut short).
  stop_group() {
    local f
    for f in "$PIDS/$1"-*.pid; do
      [ -e "$f" ] || continue
      stop_pidfile "$f" 15 &
    done
    wait
  }
  stop_group node
  for f in "$PIDS"/etcd-*.pid; do
    [ -e "$f" ] || continue
    stop_pidfile "$f" 15
  done
  stop_group nats
else
  echo "nothing to stop in $RUN" >&2
fi
rm -f "$RUN/endpoints.env"
if [ "$clean" = 1 ] && [ -d "$RUN" ]; then
  rm -rf "$RUN"
  echo "removed $RUN" >&2
fi
