/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha, the same shape) over the descriptors
 * protoc built: scripts/codegen.sh writes src/gen/descriptors.binpb, the FileDescriptorSet of every
 * proto/ file with its imports. Each answer carries a file and its transitive dependencies as the
 * FileDescriptorProto bytes protoc wrote (sliced out of the set, not re-encoded), so strict clients
 * (grpcurl, Go/Python descriptor pools, @bufbuild createFileRegistry) can build them.
 *
 * Symbols: messages, enums and their values, fields, services and methods, nested types at any
 * depth. Extensions are not indexed: no maestro file declares any, so file_containing_extension
 * and all_extension_numbers_of_type answer a NOT_FOUND error_response.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { FileDescriptorProtoSchema, type DescriptorProto, type EnumDescriptorProto, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import {
  ServerReflectionService as ReflectionV1Service,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
  type ServerReflectionServer,
} from '../gen/grpc/reflection/v1/reflection.js';
import { ServerReflectionService as ReflectionV1AlphaService } from '../gen/grpc/reflection/v1alpha/reflection.js';
import type { Logger } from '../log/logger.js';

export const REFLECTION_V1_SERVICE = 'grpc.reflection.v1.ServerReflection';
export const REFLECTION_V1ALPHA_SERVICE = 'grpc.reflection.v1alpha.ServerReflection';

/** src/gen/descriptors.binpb, from src/control (tsx) or dist/src/control (compiled). */
export function descriptorSetPath(from: string = fileURLToPath(new URL('.', import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'src', 'gen', 'descriptors.binpb');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`src/gen/descriptors.binpb not found above ${from} (run npm run codegen)`);
  }
}

interface IndexedFile {
  proto: FileDescriptorProto;
  /** The FileDescriptorProto exactly as protoc serialized it. */
  bytes: Uint8Array;
}

/** The files of a FileDescriptorSet by name and by the symbols they declare. */
export class DescriptorIndex {
  private readonly files = new Map<string, IndexedFile>();
  private readonly symbols = new Map<string, string>();

  /** `set` is a serialized google.protobuf.FileDescriptorSet (field 1: repeated FileDescriptorProto). */
  constructor(set: Uint8Array) {
    const reader = new BinaryReader(set);
    while (reader.pos < reader.len) {
      const [fieldNo, wireType] = reader.tag();
      if (fieldNo !== 1 || wireType !== WireType.LengthDelimited) {
        reader.skip(wireType, fieldNo);
        continue;
      }
      const bytes = reader.bytes();
      const proto = fromBinary(FileDescriptorProtoSchema, bytes);
      if (this.files.has(proto.name)) throw new Error(`descriptor set: file ${proto.name} appears twice`);
      this.files.set(proto.name, { proto, bytes });
      this.indexFile(proto);
    }
    for (const { proto } of this.files.values()) {
      for (const dep of proto.dependency) {
        if (!this.files.has(dep)) throw new Error(`descriptor set: ${proto.name} imports ${dep}, which the set lacks (codegen must use --include_imports)`);
      }
    }
  }

  static load(path: string = descriptorSetPath()): DescriptorIndex {
    return new DescriptorIndex(readFileSync(path));
  }

  fileNames(): string[] {
    return [...this.files.keys()];
  }

  /** The file declaring a fully-qualified symbol (no leading dot), if any. */
  fileOfSymbol(symbol: string): string | undefined {
    return this.symbols.get(symbol.startsWith('.') ? symbol.slice(1) : symbol);
  }

  hasFile(name: string): boolean {
    return this.files.has(name);
  }

  /** The file's bytes first, then every transitive dependency once (depth first, import order). */
  withDependencies(name: string): Uint8Array[] {
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    const visit = (n: string): void => {
      if (seen.has(n)) return;
      seen.add(n);
      const f = this.files.get(n);
      if (f === undefined) throw new Error(`descriptor set has no file ${n}`);
      out.push(f.bytes);
      for (const dep of f.proto.dependency) visit(dep);
    };
    visit(name);
    return out;
  }

  private indexFile(file: FileDescriptorProto): void {
    const prefix = file.package === '' ? '' : `${file.package}.`;
    const add = (symbol: string): void => {
      const prior = this.symbols.get(symbol);
      if (prior !== undefined && prior !== file.name) throw new Error(`descriptor set: ${symbol} is declared by ${prior} and ${file.name}`);
      this.symbols.set(symbol, file.name);
    };
    const addEnum = (scope: string, e: EnumDescriptorProto): void => {
      add(`${scope}${e.name}`);
      // Enum values are siblings of their enum (C++ scoping): pkg.VALUE, pkg.Msg.VALUE.
      for (const v of e.value) add(`${scope}${v.name}`);
    };
    const addMessage = (scope: string, m: DescriptorProto): void => {
      const full = `${scope}${m.name}`;
      add(full);
      for (const f of m.field) add(`${full}.${f.name}`);
      for (const o of m.oneofDecl) add(`${full}.${o.name}`);
      for (const n of m.nestedType) addMessage(`${full}.`, n);
      for (const e of m.enumType) addEnum(`${full}.`, e);
    };
    for (const m of file.messageType) addMessage(prefix, m);
    for (const e of file.enumType) addEnum(prefix, e);
    for (const s of file.service) {
      add(`${prefix}${s.name}`);
      for (const m of s.method) add(`${prefix}${s.name}.${m.name}`);
    }
  }
}

/** The reflection answer to one request. `services`: the full names this server serves. */
export function answerReflection(index: DescriptorIndex, services: readonly string[], req: ServerReflectionRequest): ServerReflectionResponse {
  const base = { validHost: req.host, originalRequest: req };
  const notFound = (message: string): ServerReflectionResponse => ({ ...base, errorResponse: { errorCode: grpc.status.NOT_FOUND, errorMessage: message } });
  const files = (name: string): ServerReflectionResponse => ({ ...base, fileDescriptorResponse: { fileDescriptorProto: index.withDependencies(name).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)) } });

  if (req.listServices !== undefined) return { ...base, listServicesResponse: { service: services.map((name) => ({ name })) } };
  if (req.fileByFilename !== undefined) {
    return index.hasFile(req.fileByFilename) ? files(req.fileByFilename) : notFound(`file not found: ${req.fileByFilename}`);
  }
  if (req.fileContainingSymbol !== undefined) {
    const file = index.fileOfSymbol(req.fileContainingSymbol);
    return file === undefined ? notFound(`symbol not found: ${req.fileContainingSymbol}`) : files(file);
  }
  if (req.fileContainingExtension !== undefined) {
    const e = req.fileContainingExtension;
    return notFound(`extension not found: ${e.containingType} field ${e.extensionNumber} (this server declares no extensions)`);
  }
  if (req.allExtensionNumbersOfType !== undefined) {
    return notFound(`no extensions known for type ${req.allExtensionNumbersOfType} (this server declares no extensions)`);
  }
  return { ...base, errorResponse: { errorCode: grpc.status.INVALID_ARGUMENT, errorMessage: 'message_request is not set' } };
}

/**
 * Adds grpc.reflection.v1 and v1alpha ServerReflection to `server`. `services` are the services
 * listed (the caller includes the two reflection services); one the descriptors cannot describe
 * is logged as a warning (it is still listed, as served).
 */
export function addReflection(server: grpc.Server, index: DescriptorIndex, services: readonly string[], log: Logger): void {
  for (const s of services) {
    if (index.fileOfSymbol(s) === undefined) log.warn({ service: s }, 'reflection: service is served but not in src/gen/descriptors.binpb (run npm run codegen)');
  }
  const impl: ServerReflectionServer = {
    serverReflectionInfo(call) {
      call.on('data', (req: ServerReflectionRequest) => {
        let res: ServerReflectionResponse;
        try {
          res = answerReflection(index, services, req);
        } catch (err) {
          log.error({ err }, 'reflection: answering a request failed');
          res = { validHost: req.host, originalRequest: req, errorResponse: { errorCode: grpc.status.INTERNAL, errorMessage: String(err) } };
        }
        call.write(res);
      });
      call.on('end', () => call.end());
      call.on('error', (err) => log.debug({ err }, 'reflection stream ended with an error'));
    },
  };
  server.addService(ReflectionV1Service, impl);
  server.addService(ReflectionV1AlphaService, impl);
}
