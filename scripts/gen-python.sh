#!/usr/bin/env bash
# Regenerates the Python messages and gRPC stubs of proto/maestro/v1/*.proto into
# clients/python/maestro/_gen/v1/ (committed, like src/gen: a user of the package needs no protoc).
#
# Uses Debian's protoc (protobuf-compiler, 3.21: the same protobuf as python3-protobuf) and gRPC's
# Python plugin (protobuf-compiler-grpc, the same gRPC as python3-grpcio), installed when
# missing. Debian's python3-grpc-tools is not used: its bundled protoc (3.5) rejects proto3
# `optional`, which permits.proto uses.
#
# protoc writes `from maestro.v1 import x_pb2`; the package is itself called `maestro`, so those
# imports are rewritten to `from maestro._gen.v1 import x_pb2`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need=()
command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
command -v grpc_python_plugin >/dev/null 2>&1 || need+=(protobuf-compiler-grpc)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  echo "gen-python: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq "${need[@]}" >&2
fi

out="$root/clients/python/maestro/_gen"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mapfile -t files < <(find proto -name '*.proto' | sort)
protoc -I proto \
  --python_out="$tmp" \
  --grpc_out="$tmp" --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
  "${files[@]}"

rm -rf "$out"
mkdir -p "$out/v1"
cp "$tmp"/maestro/v1/*.py "$out/v1/"
sed -i -E 's/^from maestro\.v1 import /from maestro._gen.v1 import /' "$out"/v1/*.py
if grep -l '^from maestro\.v1\|^import maestro\.v1' "$out"/v1/*.py; then
  echo "gen-python: an import of maestro.v1 was left unrewritten (above)" >&2
  exit 1
fi
printf '"""Generated from proto/ by scripts/gen-python.sh. Do not edit."""\n' > "$out/__init__.py"
printf '"""Generated from proto/maestro/v1 by scripts/gen-python.sh. Do not edit."""\n' > "$out/v1/__init__.py"
echo "gen-python: wrote $(find "$out" -name '*_pb2*.py' | wc -l) files to clients/python/maestro/_gen/" >&2
