#!/usr/bin/env bash
# Regenerates src/gen/ (TypeScript messages and grpc-js service stubs) from every proto/**/*.proto
# with protoc + ts-proto, and src/gen/descriptors.binpb: the FileDescriptorSet protoc builds for
# those files and their imports (google/protobuf/*), which server reflection serves as it is. The output is committed, so a fresh clone needs neither; run this after
# editing a .proto file (`npm run codegen`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v protoc >/dev/null 2>&1; then
  WITH_PROTOC=1 bash scripts/install-servers.sh
fi
plugin="$root/node_modules/.bin/protoc-gen-ts_proto"
if [ ! -x "$plugin" ]; then
  echo "codegen: $plugin is missing; run npm install first" >&2
  exit 1
fi

out="$root/src/gen"
rm -rf "$out"
mkdir -p "$out"

opts=(
  outputServices=grpc-js     # grpc-js service definitions + client constructors
  esModuleInterop=true
  importSuffix=.js           # NodeNext: relative imports end in .js
  env=node
  forceLong=number           # int64 -> number (ids, versions, timestamps are far below 2^53)
  useOptionals=messages      # message fields are `field?: Msg`
  useDate=true               # google.protobuf.Timestamp -> Date
  outputPartialMethods=true  # Msg.fromPartial / Msg.create
  useExactTypes=false
  unrecognizedEnum=false     # enums hold only the declared values
  exportCommonSymbols=false
)
opt_arg=$(IFS=,; echo "${opts[*]}")

mapfile -t files < <(find proto -name '*.proto' | sort)
protoc \
  --plugin=protoc-gen-ts_proto="$plugin" \
  --ts_proto_out="$out" \
  --ts_proto_opt="$opt_arg" \
  -I proto \
  "${files[@]}"

# Source info (comments) is left out: reflection clients need only the declarations.
protoc --include_imports --descriptor_set_out="$out/descriptors.binpb" -I proto "${files[@]}"

echo "codegen: wrote $(find "$out" -name '*.ts' | wc -l) files to src/gen/" >&2
