#!/usr/bin/env bash
# Helpers shared by cluster/start-local.sh and cluster/stop-local.sh: free ports, launching a
# process in the background with a pid file and a log, waiting for readiness, stopping by pid.
# Source it; it defines functions only.

# free_ports N -> prints N distinct free TCP ports on 127.0.0.1 (all probed at once by binding
# port 0, so they differ; the OS does not hand them out again right away).
free_ports() {
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]);
    const servers = [];
    let ready = 0;
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      s.listen(0, "127.0.0.1", () => {
        if (++ready === n) {
          console.log(servers.map((x) => x.address().port).join(" "));
          servers.forEach((x) => x.close());
        }
      });
    }' "$1"
}

# launch NAME LOGFILE PIDFILE CMD... -> starts CMD in its own session, detached from this shell,
# writes its pid to PIDFILE.
launch() {
  local name=$1 log=$2 pidfile=$3
  shift 3
  setsid "$@" >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$pidfile"
  echo "  started $name (pid $pid), log $log" >&2
}

# alive PIDFILE -> exit 0 if the pid in PIDFILE runs.
alive() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# wait_http URL PIDFILE WHAT [TIMEOUT_S] -> waits until URL answers 2xx; fails if the process died.
wait_http() {
  local url=$1 pidfile=$2 what=$3 timeout=${4:-30}
  local deadline=$((SECONDS + timeout))
  until curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; do
    if ! alive "$pidfile"; then echo "error: $what exited; see its log" >&2; return 1; fi
    if [ $SECONDS -ge $deadline ]; then echo "error: $what not ready after ${timeout}s ($url)" >&2; return 1; fi
    sleep 0.2
  done
}

# wait_tcp PORT PIDFILE WHAT [TIMEOUT_S] -> waits until 127.0.0.1:PORT accepts connections.
wait_tcp() {
  local port=$1 pidfile=$2 what=$3 timeout=${4:-30}
  local deadline=$((SECONDS + timeout))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! alive "$pidfile"; then echo "error: $what exited; see its log" >&2; return 1; fi
    if [ $SECONDS -ge $deadline ]; then echo "error: $what not listening on $port after ${timeout}s" >&2; return 1; fi
    sleep 0.2
  done
}

# stop_pidfile PIDFILE [TIMEOUT_S] -> SIGTERM, then SIGKILL after TIMEOUT_S; removes PIDFILE.
stop_pidfile() {
  local pidfile=$1 timeout=${2:-10}
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then
        echo "  $(basename "$pidfile" .pid) (pid $pid) still running ${timeout}s after SIGTERM: SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
    echo "  stopped $(basename "$pidfile" .pid) (pid $pid)" >&2
  fi
  rm -f "$pidfile"
}
