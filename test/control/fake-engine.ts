/**
 * An in-memory EngineApi for control-plane and CLI tests, until src/node/embedded.ts lands.
 * It parses definitions shallowly (enough to name bad fields), runs top-level steps in order,
 * and reports every change to watchers. Step types with test meaning:
 *   Fail  -> the attempt ends USER_FAILED and the run FAILED;
 *   Block -> the step stays RUNNING until unblock() (or stop/kill).
 * Anything else succeeds with outputs {"echo": <step params>}.
 */
import { parse as parseYaml } from 'yaml';
import { NotFoundError, PreconditionError, ValidationError } from '../../src/core/errors.js';
import type { Step, WorkflowCreateRequest } from '../../src/core/definition/model.js';
import type { InstanceChange, InstanceSummary, InstanceView, StepView } from '../../src/core/instance/view.js';
import { isWorkflowTerminal, type StepStatus, type WorkflowStatus } from '../../src/core/status.js';
import type {
  DefinitionFormat,
  EngineApi,
  ListInstancesRequest,
  RestartPolicy,
  StartRequest,
  WorkflowSummary,
  WorkflowVersionInfo,
} from '../../src/workflow/engine-api.js';

interface StoredWorkflow {
  versions: WorkflowVersionInfo[];
  activeVersion: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseDefinition(text: string, format?: DefinitionFormat): WorkflowCreateRequest {
  let doc: unknown;
  const fmt = format ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  try {
    doc = fmt === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ValidationError('', `definition is not valid ${fmt.toUpperCase()}: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(doc)) throw new ValidationError('', 'definition must be an object');
  const wf = doc['workflow'];
  if (!isObject(wf)) throw new ValidationError('workflow', 'is required');
  if (typeof wf['id'] !== 'string' || wf['id'] === '') throw new ValidationError('workflow.id', 'is required');
  const rawSteps = wf['steps'];
  if (!Array.isArray(rawSteps) || rawSteps.length === 0) throw new ValidationError('workflow.steps', 'must list at least one step');
  const steps: Step[] = rawSteps.map((s: unknown, i) => {
    const step = isObject(s) ? s['step'] : undefined;
    if (!isObject(step)) throw new ValidationError(`workflow.steps[${i}].step`, 'is required');
    if (typeof step['id'] !== 'string' || step['id'] === '') throw new ValidationError(`workflow.steps[${i}].step.id`, 'is required');
    if (typeof step['type'] !== 'string') throw new ValidationError(`workflow.steps[${i}].step.type`, 'is required');
    const params = isObject(step['params']) ? (step['params'] as Step['params']) : {};
    return { kind: 'step', id: step['id'], type: step['type'], transition: { successors: {} }, params, tags: [], signalDependencies: [], signalOutputs: [] };
  });
  return {
    properties: { owner: 'tester', runStrategy: { rule: 'SEQUENTIAL', workflowConcurrency: 1 } },
    workflow: { id: wf['id'], tags: [], params: {}, steps, timeTriggers: [], signalTriggers: [] },
    isActive: doc['is_active'] !== false,
  };
}

export class FakeEngine implements EngineApi {
  private readonly workflows = new Map<string, StoredWorkflow>();
  private readonly instances = new Map<string, InstanceView>();
  private readonly byRequestId = new Map<string, string>();
  private readonly nextInstanceId = new Map<string, number>();
  private readonly watchers = new Map<string, Set<(c: InstanceChange) => void>>();
  private readonly blocked = new Map<string, () => void>();
  private readonly released = new Set<string>();
  private readonly failures = new Map<keyof EngineApi, unknown>();
  /** Calls received, for assertions on what the control plane passed through. */
  readonly calls: Array<{ method: keyof EngineApi; args: unknown[] }> = [];

  /** The next call of `method` throws `err`. */
  failNext(method: keyof EngineApi, err: unknown): void {
    this.failures.set(method, err);
  }

  watcherCount(workflowId: string, instanceId: number): number {
    return this.watchers.get(`${workflowId}/${instanceId}`)?.size ?? 0;
  }

  private enter(method: keyof EngineApi, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.failures.has(method)) {
      const err = this.failures.get(method);
      this.failures.delete(method);
      throw err;
    }
  }

  async createWorkflow(text: string, format?: DefinitionFormat): Promise<WorkflowVersionInfo> {
    this.enter('createWorkflow', text, format);
    const def = parseDefinition(text, format);
    const id = def.workflow.id;
    const stored = this.workflows.get(id) ?? { versions: [], activeVersion: 0 };
    this.workflows.set(id, stored);
    const version = stored.versions.length + 1;
    if (def.isActive || stored.activeVersion === 0) stored.activeVersion = version;
    const info: WorkflowVersionInfo = {
      workflowId: id,
      version,
      isActive: false,
      activeVersion: 0,
      createdAtMs: Date.now(),
      definitionJson: JSON.stringify({ properties: { owner: 'tester' }, workflow: { id } }),
      definition: def,
    };
    stored.versions.push(info);
    return this.describe(stored, info);
  }

  async validateWorkflow(text: string, format?: DefinitionFormat): Promise<WorkflowCreateRequest> {
    this.enter('validateWorkflow', text, format);
    return parseDefinition(text, format);
  }

  private stored(workflowId: string): StoredWorkflow {
    const s = this.workflows.get(workflowId);
    if (!s) throw new NotFoundError(`workflow ${workflowId} not found`);
    return s;
  }

  private describe(s: StoredWorkflow, info: WorkflowVersionInfo): WorkflowVersionInfo {
    return { ...info, isActive: info.version === s.activeVersion, activeVersion: s.activeVersion };
  }

  private versionOf(workflowId: string, version?: number): WorkflowVersionInfo {
    const s = this.stored(workflowId);
    const info = s.versions[(version ?? s.activeVersion) - 1];
    if (!info) throw new NotFoundError(`workflow ${workflowId} has no version ${version}`);
    return this.describe(s, info);
  }

  async getWorkflow(workflowId: string, version?: number): Promise<WorkflowVersionInfo> {
    this.enter('getWorkflow', workflowId, version);
    return this.versionOf(workflowId, version);
  }

  async listWorkflows(): Promise<WorkflowSummary[]> {
    this.enter('listWorkflows');
    return [...this.workflows.entries()].map(([workflowId, s]) => ({
      workflowId,
      latestVersion: s.versions.length,
      activeVersion: s.activeVersion,
      createdAtMs: s.versions[0]?.createdAtMs ?? 0,
    }));
  }

  async activateWorkflow(workflowId: string, version: number): Promise<WorkflowVersionInfo> {
    this.enter('activateWorkflow', workflowId, version);
    this.versionOf(workflowId, version);
    this.stored(workflowId).activeVersion = version;
    return this.versionOf(workflowId, version);
  }

  async deleteWorkflow(workflowId: string): Promise<void> {
    this.enter('deleteWorkflow', workflowId);
    this.stored(workflowId);
    this.workflows.delete(workflowId);
  }

  async startWorkflow(req: StartRequest): Promise<InstanceView> {
    this.enter('startWorkflow', req);
    const dedupKey = req.requestId === undefined ? undefined : `${req.workflowId}#${req.requestId}`;
    const previous = dedupKey === undefined ? undefined : this.byRequestId.get(dedupKey);
    if (previous !== undefined) return structuredClone(this.instance(previous));
    const info = this.versionOf(req.workflowId, req.version);
    const instanceId = this.nextInstanceId.get(req.workflowId) ?? 1;
    this.nextInstanceId.set(req.workflowId, instanceId + 1);
    const now = Date.now();
    const view: InstanceView = {
      workflowId: req.workflowId,
      instanceId,
      runId: 1,
      version: info.version,
      status: 'IN_PROGRESS',
      runPolicy: 'START_FRESH_NEW_RUN',
      params: req.params ?? {},
      steps: info.definition.workflow.steps.map((s) => ({
        stepId: s.id,
        stepType: s.kind === 'step' ? s.type : s.kind,
        status: 'NOT_CREATED',
        attempts: [],
        params: {},
        outputs: {},
      })),
      createdAtMs: now,
      startedAtMs: now,
    };
    if (req.requestId !== undefined) view.requestId = req.requestId;
    const key = `${req.workflowId}/${instanceId}`;
    this.instances.set(key, view);
    if (dedupKey !== undefined) this.byRequestId.set(dedupKey, key);
    void this.run(key);
    return structuredClone(view);
  }

  private instance(key: string): InstanceView {
    const v = this.instances.get(key);
    if (!v) throw new NotFoundError(`instance ${key} not found`);
    return v;
  }

  private emit(view: InstanceView, status: string, step?: StepView, message?: string): void {
    const change: InstanceChange = { workflowId: view.workflowId, instanceId: view.instanceId, runId: view.runId, atMs: Date.now(), status };
    if (step) {
      change.stepId = step.stepId;
      change.attempt = step.attempts.length;
    }
    if (message !== undefined) change.message = message;
    for (const w of this.watchers.get(`${view.workflowId}/${view.instanceId}`) ?? []) w(change);
  }

  private setStep(view: InstanceView, step: StepView, status: StepStatus, error?: string): void {
    const now = Date.now();
    step.status = status;
    if (status === 'CREATED') {
      step.attempts.push({ attempt: step.attempts.length + 1, attemptId: `${view.workflowId}-${view.instanceId}-${step.stepId}-${step.attempts.length + 1}`, status, createdAtMs: now });
    }
    const attempt = step.attempts.at(-1);
    if (attempt) {
      attempt.status = status;
      if (status === 'RUNNING') attempt.startedAtMs = step.startedAtMs = now;
      if (status !== 'CREATED' && status !== 'RUNNING') attempt.endedAtMs = step.endedAtMs = now;
      if (error !== undefined) attempt.error = error;
    }
    this.emit(view, status, step, error);
  }

  private setWorkflow(view: InstanceView, status: WorkflowStatus, error?: string): void {
    view.status = status;
    if (isWorkflowTerminal(status)) view.endedAtMs = Date.now();
    if (error !== undefined) view.error = error;
    this.emit(view, status, undefined, error);
  }

  private async run(key: string): Promise<void> {
    const view = this.instance(key);
    const runId = view.runId;
    const live = (): boolean => view.status === 'IN_PROGRESS' && view.runId === runId;
    for (const step of view.steps) {
      if (step.status === 'SUCCEEDED') continue;
      await new Promise((r) => setImmediate(r));
      if (!live()) return;
      this.setStep(view, step, 'CREATED');
      this.setStep(view, step, 'RUNNING');
      if (step.stepType === 'Block' && !this.released.delete(key)) await new Promise<void>((r) => this.blocked.set(key, r));
      else await new Promise((r) => setImmediate(r));
      if (!live()) return;
      if (step.stepType === 'Fail') {
        this.setStep(view, step, 'USER_FAILED', 'step failed on purpose');
        this.setWorkflow(view, 'FAILED', `step ${step.stepId} failed`);
        return;
      }
      step.outputs = { echo: view.params };
      const attempt = step.attempts.at(-1);
      if (attempt) attempt.outputs = step.outputs;
      this.setStep(view, step, 'SUCCEEDED');
    }
    this.setWorkflow(view, 'SUCCEEDED');
  }

  /** Lets the (current or next) Block step of an instance finish. */
  unblock(workflowId: string, instanceId: number): void {
    const key = `${workflowId}/${instanceId}`;
    const release = this.blocked.get(key);
    this.blocked.delete(key);
    if (release) release();
    else this.released.add(key);
  }

  async getInstance(workflowId: string, instanceId: number): Promise<InstanceView> {
    this.enter('getInstance', workflowId, instanceId);
    return structuredClone(this.instance(`${workflowId}/${instanceId}`));
  }

  async listInstances(req: ListInstancesRequest): Promise<{ instances: InstanceSummary[]; nextPageToken: string }> {
    this.enter('listInstances', req);
    const all = [...this.instances.values()]
      .filter((v) => (req.workflowId === undefined || v.workflowId === req.workflowId) && (req.status === undefined || v.status === req.status))
      .sort((a, b) => a.createdAtMs - b.createdAtMs || a.workflowId.localeCompare(b.workflowId) || a.instanceId - b.instanceId);
    const start = req.pageToken === undefined ? 0 : Number(req.pageToken);
    if (!Number.isSafeInteger(start) || start < 0 || start > all.length) throw new ValidationError('page_token', `invalid page token ${JSON.stringify(req.pageToken)}`);
    const size = req.pageSize ?? 50;
    const page = all.slice(start, start + size);
    const instances = page.map(({ workflowId, instanceId, runId, version, status, createdAtMs, endedAtMs }) => {
      const s: InstanceSummary = { workflowId, instanceId, runId, version, status, createdAtMs };
      if (endedAtMs !== undefined) s.endedAtMs = endedAtMs;
      return s;
    });
    return { instances, nextPageToken: start + size < all.length ? String(start + size) : '' };
  }

  async watchInstance(workflowId: string, instanceId: number, onChange: (c: InstanceChange) => void): Promise<() => void> {
    this.enter('watchInstance', workflowId, instanceId);
    const key = `${workflowId}/${instanceId}`;
    this.instance(key);
    const set = this.watchers.get(key) ?? new Set();
    this.watchers.set(key, set);
    const listener = (c: InstanceChange): void => onChange(c);
    set.add(listener);
    return () => set.delete(listener);
  }

  private end(key: string, status: WorkflowStatus, verb: string): InstanceView {
    const view = this.instance(key);
    if (isWorkflowTerminal(view.status)) throw new PreconditionError(`cannot ${verb} instance ${key}: it is already ${view.status}`);
    for (const step of view.steps) if (step.status === 'RUNNING' || step.status === 'CREATED') this.setStep(view, step, 'STOPPED');
    this.setWorkflow(view, status);
    this.blocked.get(key)?.(); // lets the run loop see the end and return
    this.blocked.delete(key);
    return structuredClone(view);
  }

  async stop(workflowId: string, instanceId: number): Promise<InstanceView> {
    this.enter('stop', workflowId, instanceId);
    return this.end(`${workflowId}/${instanceId}`, 'STOPPED', 'stop');
  }

  async kill(workflowId: string, instanceId: number): Promise<InstanceView> {
    this.enter('kill', workflowId, instanceId);
    return this.end(`${workflowId}/${instanceId}`, 'FAILED', 'kill');
  }

  /** Like the engine: merged into the step's params and its attempt's outputs, only while RUNNING. */
  async putStepOutputs(workflowId: string, instanceId: number, stepId: string, outputs: Record<string, unknown>): Promise<InstanceView> {
    this.enter('putStepOutputs', workflowId, instanceId, stepId, outputs);
    const key = `${workflowId}/${instanceId}`;
    const view = this.instance(key);
    const step = view.steps.find((s) => s.stepId === stepId);
    if (!step) throw new ValidationError('step_id', `instance ${key} has no step ${stepId}`);
    if (step.status !== 'RUNNING') throw new PreconditionError(`step ${stepId} of ${key} is ${step.status}; outputs are accepted while it is RUNNING`);
    step.params = { ...step.params, ...outputs };
    const attempt = step.attempts.at(-1);
    if (attempt) step.outputs = attempt.outputs = { ...(attempt.outputs ?? {}), ...outputs };
    return structuredClone(view);
  }

  async restart(workflowId: string, instanceId: number, policy: RestartPolicy): Promise<InstanceView> {
    this.enter('restart', workflowId, instanceId, policy);
    const key = `${workflowId}/${instanceId}`;
    const view = this.instance(key);
    if (!isWorkflowTerminal(view.status)) throw new PreconditionError(`cannot restart instance ${key}: it is ${view.status}`);
    view.runId += 1;
    view.runPolicy = policy;
    view.status = 'IN_PROGRESS';
    delete view.endedAtMs;
    delete view.error;
    for (const step of view.steps) {
      if (policy === 'RESTART_FROM_BEGINNING' || step.status !== 'SUCCEEDED') {
        step.status = 'NOT_CREATED';
        step.attempts = policy === 'RESTART_FROM_BEGINNING' ? [] : step.attempts;
      }
    }
    this.emit(view, 'IN_PROGRESS', undefined, `restarted (${policy})`);
    void this.run(key);
    return structuredClone(view);
  }
}
