/**
 * Server reflection (src/control/reflection.ts) as clients in other languages use it: a grpc-js
 * client built from grpc's reflection.proto (proto-loader, independent of our generated code),
 * a strict @bufbuild/protobuf registry over every returned file, and a strict Python
 * DescriptorPool (grpcio + protobuf of /usr/bin/python3).
 */
import test from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { create, createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { HEALTH_SERVICE } from '../../src/control/server.js';
import { REFLECTION_V1ALPHA_SERVICE, REFLECTION_V1_SERVICE, descriptorSetPath } from '../../src/control/reflection.js';
import { startHarness } from './harness.js';
import { testIf } from '../helpers/skip.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Answer = Record<string, any>;
interface Reflector {
  ask(request: Record<string, unknown>): Promise<Answer>;
  close(): void;
}

/** One ServerReflectionInfo stream; answers come back in request order. */
function reflector(address: string, version: 'v1' | 'v1alpha'): Reflector {
  const def = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, { includeDirs: [join(ROOT, 'proto')], keepCase: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const client = new pkg.grpc.reflection[version].ServerReflection(address, grpc.credentials.createInsecure()) as grpc.Client & {
    ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, Answer>;
  };
  const stream = client.ServerReflectionInfo();
  const waiting: Array<{ resolve(a: Answer): void; reject(e: unknown): void }> = [];
  stream.on('data', (a: Answer) => waiting.shift()?.resolve(a));
  stream.on('error', (err) => {
    for (const w of waiting.splice(0)) w.reject(err);
  });
  return {
    ask(request) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        stream.write(request);
      });
    },
    close() {
      stream.end();
      client.close();
    },
  };
}

function filesOf(a: Answer): FileDescriptorProto[] {
  if (a['message_response'] !== 'file_descriptor_response') throw new Error(`expected files, got ${JSON.stringify(a)}`);
  return (a['file_descriptor_response']['file_descriptor_proto'] as Buffer[]).map((b) => fromBinary(FileDescriptorProtoSchema, b));
}

test('reflection v1 and v1alpha list the served services and fetch every file; errors are NOT_FOUND error_responses', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.close());
  for (const version of ['v1', 'v1alpha'] as const) {
    const r = reflector(h.address, version);
    t.teardown(() => r.close());
    const listed = await r.ask({ host: 'h', list_services: '' });
    t.is(listed['valid_host'], 'h');
    t.is(listed['original_request']['list_services'], '');
    const services = (listed['list_services_response']['service'] as Array<{ name: string }>).map((s) => s.name);
    for (const s of ['maestro.v1.WorkflowService', 'maestro.v1.InstanceService', 'maestro.v1.ClusterService', HEALTH_SERVICE, REFLECTION_V1_SERVICE, REFLECTION_V1ALPHA_SERVICE]) {
      t.true(services.includes(s), `${version} lists ${s}`);
    }
    const seen = new Set<string>();
    for (const s of services) {
      const files = filesOf(await r.ask({ file_containing_symbol: s }));
      t.true(files[0]!.service.some((d) => `${files[0]!.package}.${d.name}` === s), `${s}: the first file declares it`);
      const names = files.map((f) => f.name);
      t.is(new Set(names).size, names.length, `${s}: each file once`);
      for (const f of files) for (const dep of f.dependency) t.true(names.includes(dep), `${s}: ${f.name}'s import ${dep} is included`);
      for (const n of names) seen.add(n);
    }
    t.true(seen.has('google/protobuf/timestamp.proto') && seen.has('grpc/health/v1/health.proto'));
    for (const name of seen) {
      const files = filesOf(await r.ask({ file_by_filename: name }));
      t.is(files[0]!.name, name);
    }
    // Symbols below the service level: a method, a nested enum, an enum value, a field.
    t.is(filesOf(await r.ask({ file_containing_symbol: 'maestro.v1.InstanceService.StartWorkflow' }))[0]!.name, 'maestro/v1/service.proto');
    t.is(filesOf(await r.ask({ file_containing_symbol: 'grpc.health.v1.HealthCheckResponse.ServingStatus' }))[0]!.name, 'grpc/health/v1/health.proto');
    t.is(filesOf(await r.ask({ file_containing_symbol: 'grpc.health.v1.HealthCheckResponse.SERVING' }))[0]!.name, 'grpc/health/v1/health.proto');
    t.is(filesOf(await r.ask({ file_containing_symbol: 'google.protobuf.Timestamp.seconds' }))[0]!.name, 'google/protobuf/timestamp.proto');

    for (const req of [
      { file_by_filename: 'maestro/v1/nope.proto' },
      { file_containing_symbol: 'maestro.v1.Nope' },
      { file_containing_extension: { containing_type: 'google.protobuf.MethodOptions', extension_number: 72295728 } },
      { all_extension_numbers_of_type: 'maestro.v1.StartWorkflowRequest' },
    ]) {
      const a = await r.ask(req);
      t.is(a['message_response'], 'error_response', JSON.stringify(req));
      t.is(a['error_response']['error_code'], grpc.status.NOT_FOUND, JSON.stringify(req));
    }
    // The stream still answers after errors.
    t.is(filesOf(await r.ask({ file_containing_symbol: REFLECTION_V1_SERVICE }))[0]!.name, 'grpc/reflection/v1/reflection.proto');
  }
});

test('strict build: every returned file goes into a @bufbuild registry and every service and method type resolves', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.close());
  const r = reflector(h.address, 'v1');
  t.teardown(() => r.close());
  const services = ((await r.ask({ list_services: '*' }))['list_services_response']['service'] as Array<{ name: string }>).map((s) => s.name);
  const byName = new Map<string, FileDescriptorProto>();
  for (const s of services) for (const f of filesOf(await r.ask({ file_containing_symbol: s }))) byName.set(f.name, f);

  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: dependencyOrder(byName) }));
  let methods = 0;
  for (const s of services) {
    const svc = registry.getService(s);
    if (svc === undefined) return t.fail(`service ${s} does not resolve`);
    t.true(svc.methods.length > 0, s);
    for (const m of svc.methods) {
      t.is(registry.getMessage(m.input.typeName), m.input, `${m.name} input`);
      t.is(registry.getMessage(m.output.typeName), m.output, `${m.name} output`);
      methods++;
    }
  }
  t.true(methods > 20, `resolved ${methods} methods`);

  // The check is strict: without one dependency the same files do not build.
  const withoutTimestamp = dependencyOrder(byName).filter((f) => f.name !== 'google/protobuf/timestamp.proto');
  t.throws(() => createFileRegistry(create(FileDescriptorSetSchema, { file: withoutTimestamp })));
});

/** Imports before their importers (createFileRegistry reads a set in order); throws on a missing import. */
function dependencyOrder(byName: Map<string, FileDescriptorProto>): FileDescriptorProto[] {
  const out: FileDescriptorProto[] = [];
  const done = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name)) return;
    const f = byName.get(name);
    if (f === undefined) throw new Error(`import ${name} was not returned`);
    done.add(name);
    for (const dep of f.dependency) visit(dep);
    out.push(f);
  };
  for (const name of byName.keys()) visit(name);
  return out;
}

const protocMissing = spawnSync('protoc', ['--version']).status === 0 ? undefined : 'protoc is not installed';
testIf(protocMissing)('the committed src/gen/descriptors.binpb is what protoc builds from proto/ now (run npm run codegen if not)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'descriptors-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = execFileSync('find', ['proto', '-name', '*.proto'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').sort();
  execFileSync('protoc', ['--include_imports', `--descriptor_set_out=${join(dir, 'set.binpb')}`, '-I', 'proto', ...files], { cwd: ROOT });
  const fresh = readFileSync(join(dir, 'set.binpb'));
  const committed = readFileSync(descriptorSetPath());
  t.true(fresh.equals(committed), 'descriptors.binpb is stale');
  t.true(fromBinary(FileDescriptorSetSchema, committed).file.some((f) => f.name === 'maestro/v1/service.proto'));
});

const PY = '/usr/bin/python3';
const pythonMissing = !existsSync(PY)
  ? `${PY} not found`
  : spawnSync(PY, ['-c', 'import grpc, google.protobuf.descriptor_pool']).status !== 0
    ? `${PY} lacks grpcio or protobuf (apt install python3-grpcio python3-protobuf)`
    : undefined;
testIf(pythonMissing)('strict build in Python: DescriptorPool.Add of every file in dependency order, then every service by name (v1 and v1alpha)', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.close());
  for (const version of ['v1', 'v1alpha']) {
    const out = await new Promise<string>((resolve, reject) => {
      // Async: the server answers in this process, so the event loop must keep running.
      const p = spawn(PY, [join(ROOT, 'test/fixtures/reflection_strict.py'), h.address, descriptorSetPath(), version]);
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d));
      p.stderr.on('data', (d: Buffer) => (stderr += d));
      p.on('error', reject);
      p.on('close', (code: number) => (code === 0 ? resolve(stdout) : reject(new Error(`python exited ${code}: ${stderr}`))));
    });
    const summary = JSON.parse(out) as { services: string[]; files: string[]; methods: number };
    t.true(summary.services.includes('maestro.v1.InstanceService') && summary.services.includes(HEALTH_SERVICE), version);
    t.true(summary.files.includes('maestro/v1/service.proto'), version);
    t.true(summary.methods > 20, `${version}: ${summary.methods} methods`);
  }
});
