import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHarness, type Harness } from './harness.js';
import { testIf } from '../helpers/skip.js';
import { waitForEnd } from '../helpers/wait.js';

// The point of maestro.v1.Value: a LONG param read by another language is an integer there.
// Python's grpc (stubs generated here from proto/ with grpc_tools) reads GetInstance.

const PYTHON = '/usr/bin/python3';
const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

function pythonMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import grpc, grpc_tools'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${PYTHON} with grpc and grpc_tools is not installed`;
  }
}

const script = `
import sys, json, grpc
sys.path.insert(0, sys.argv[1])
from maestro.v1 import instance_pb2, service_pb2_grpc
stub = service_pb2_grpc.InstanceServiceStub(grpc.insecure_channel(sys.argv[2]))
inst = stub.GetInstance(instance_pb2.GetInstanceRequest(workflow_id='py-typed', instance_id=int(sys.argv[3]))).instance
def plain(v):
    k = v.WhichOneof('kind')
    if k == 'map_value': return {n: plain(x) for n, x in v.map_value.fields.items()}
    if k == 'list_value': return [plain(x) for x in v.list_value.values]
    return getattr(v, k)
out = {n: [inst.params[n].WhichOneof('kind'), type(plain(inst.params[n])).__name__, plain(inst.params[n])] for n in ('n', 'ratio', 'ids')}
print(json.dumps(out))
`;

testIf(pythonMissing())('Python reads a LONG param as int and a DOUBLE 3.0 as float', async (t) => {
  const h: Harness = await startHarness();
  const dir = await mkdtemp(join(tmpdir(), 'maestro-py-'));
  try {
    await h.client.createWorkflow(
      JSON.stringify({
        properties: { owner: 'tester' },
        workflow: {
          id: 'py-typed',
          params: { n: { type: 'LONG', value: 1 }, ratio: { type: 'DOUBLE', value: 1.5 }, ids: { type: 'LONG_ARRAY', value: [] } },
          steps: [{ step: { id: 'a', type: 'NoOp' } }],
        },
      }),
    );
    const { instanceId } = await h.client.startWorkflow({ workflowId: 'py-typed', params: { n: 20, ratio: 3, ids: [7, 8] } });
    await waitForEnd(h.client, 'py-typed', instanceId);
    const protos = ['instance', 'service', 'value', 'workflow'].map((f) => `maestro/v1/${f}.proto`);
    await promisify(execFile)(PYTHON, ['-m', 'grpc_tools.protoc', `-I${PROTO_DIR}`, `--python_out=${dir}`, `--grpc_python_out=${dir}`, ...protos]);
    await writeFile(join(dir, 'read.py'), script);
    const { stdout } = await promisify(execFile)(PYTHON, [join(dir, 'read.py'), dir, h.address, String(instanceId)]);
    t.deepEqual(JSON.parse(stdout), {
      n: ['long_value', 'int', 20],
      ratio: ['double_value', 'float', 3],
      ids: ['list_value', 'list', [7, 8]],
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await h.close();
  }
});
