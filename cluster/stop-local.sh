#!/usr/bin/env bash
# Stops what cluster/start-local.sh started, by the pids in its run dir: nodes first, then etcd
# and NATS. Data stays; `--clean` also deletes the run dir.
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
  # etcd members stopping together each wait for a leader transfer that cannot happen (~9 s);
  # its WAL makes a SIGKILL after 2 s safe, so do not wait longer.
  for group in node:10 etcd:2 nats:10; do
    for f in "$PIDS/${group%%:*}"-*.pid; do
      [ -e "$f" ] || continue
      stop_pidfile "$f" "${group##*:}" &
    done
    wait
  done
else
  echo "nothing to stop in $RUN" >&2
fi
rm -f "$RUN/endpoints.env"
if [ "$clean" = 1 ] && [ -d "$RUN" ]; then
  rm -rf "$RUN"
  echo "removed $RUN" >&2
fi
