#!/usr/bin/env bash
# Installs the external servers cluster mode and its tests need (nats-server, etcd, etcdctl), Python's gRPC
# for the Python SDK's tests (python3-grpcio, which brings python3-protobuf) and protoc for
# `npm run codegen`, and chromium (the web UI's browser test drives it headless), from Debian's
# packages, when they are missing.
# (scripts/gen-python.sh installs what it needs itself: protoc and protobuf-compiler-grpc.)
set -euo pipefail
need=()
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client)   # the README's etcd auth block
# the Python SDK's tests: Debian's python3 with grpcio (the package brings python3 with it)
if ! [ -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import grpc, google.protobuf' >/dev/null 2>&1; then need+=(python3-grpcio); fi
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ "${WITH_PROTOC:-0}" = "1" ]; then command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler); fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "installing: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq "${need[@]}" >&2
