/** A driver for the pure instance machine: no actor, no I/O, a fake clock. */
import { parseWorkflowObject } from '../../src/core/definition/index.js';
import {
  applyEvent,
  compileWorkflow,
  encodeRecordEvent,
  replayInstance,
  resumeCommands,
  type Decision,
  type InstanceCommand,
  type InstanceEvent,
  type InstanceState,
  type MachineContext,
} from '../../src/core/instance/index.js';
import { decode, encode } from '../../src/nats/codec.js';
import { createSelEngine } from '../../src/expr/index.js';
import type { StepResult, StepTask } from '../../src/executor/runtime.js';

export interface StepSpec {
  id: string;
  type?: string;
  next?: Record<string, string>;
  extra?: Record<string, unknown>;
}

export function workflow(steps: StepSpec[], wf: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    properties: { owner: 'tester', run_strategy: 'parallel' },
    workflow: {
      id: 'wf',
      ...wf,
      steps: steps.map((s) => ({
        step: { id: s.id, type: s.type ?? 'NoOp', transition: { successors: s.next ?? {} }, ...(s.extra ?? {}) },
      })),
    },
  };
}

const engine = createSelEngine();

/** Deterministic v4-shaped ids, so two runs of the same history agree (the node's are random). */
export function testUuid(key: string, seq: number, n: number): string {
  const hex = (x: number, w: number) => x.toString(16).padStart(w, '0').slice(-w);
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return `${hex(h >>> 0, 8)}-${hex(seq, 4)}-4${hex(n, 3)}-8000-${hex(seq * 4096 + n, 12)}`;
}

export class Driver {
  state: InstanceState | undefined;
  ctx: MachineContext;
  now = 1_700_000_000_000;
  log: InstanceCommand[] = [];
  events: Array<[InstanceEvent, number, Decision[]]> = [];
  keepLog = true;
  /** Every status each step went through, in order (seen through ctx.onStepStatus). */
  history = new Map<string, string[]>();

  constructor(def: Record<string, unknown>, runtimes = ['noop', 'sleep', 'shell', 'http']) {
    this.ctx = {
      def: compileWorkflow(parseWorkflowObject(def), 1),
      engine,
      hasRuntime: (t) => runtimes.includes(t),
      uuid: testUuid,
      onStepStatus: (id, status) => {
        if (!this.history.has(id)) this.history.set(id, []);
        this.history.get(id)!.push(status);
      },
    };
  }

  apply(ev: InstanceEvent): InstanceCommand[] {
    const seq = (this.state?.seq ?? 0) + 1;
    const out = applyEvent(this.state, ev, seq, this.ctx);
    this.state = out.state;
    if (this.keepLog) this.events.push([ev, seq, out.decisions]);
    if (this.keepLog) this.log.push(...out.commands);
    return out.commands;
  }

  start(runParams: Record<string, unknown> = {}): InstanceCommand[] {
    return this.apply({ t: 'started', atMs: this.now, workflowId: 'wf', instanceId: 1, version: 1, runParams, initiator: 'MANUAL' });
  }

  result(stepId: string, status: StepResult['status'] = 'SUCCEEDED', extra: Partial<StepResult> = {}): InstanceCommand[] {
    const st = this.state!.steps[stepId]!;
    const attempt = st.attempts[st.attempts.length - 1]!.attempt;
    return this.apply({ t: 'result', atMs: this.now, stepId, attempt, result: { status, ...extra } });
  }

  fire(timerId: string): InstanceCommand[] {
    const timer = this.state!.timers[timerId];
    if (timer) this.now = Math.max(this.now, timer.atMs);
    return this.apply({ t: 'timer', atMs: this.now, timerId });
  }

  status(stepId?: string): string {
    return stepId ? this.state!.steps[stepId]!.status : this.state!.status;
  }

  resume(): InstanceCommand[] {
    return resumeCommands(this.state!, this.ctx);
  }

  /** The journal records of every applied event, as a journal returns them (msgpack round trip). */
  records(): Array<{ seq: number; event: unknown }> {
    return this.events.map(([ev, seq, d]) => ({ seq, event: decode(encode(encodeRecordEvent(ev, d))) }));
  }

  /** Replays every applied event from scratch, folding the recorded decisions (as recovery does). */
  replay(ctx: MachineContext = this.ctx): InstanceState | undefined {
    const r = replayInstance({ instanceKey: 'wf/1', records: this.records() }, ctx, 'test');
    if (r.failure) throw r.failure.error;
    return r.state;
  }
}

export function dispatched(cmds: InstanceCommand[]): StepTask[] {
  return cmds.flatMap((c) => (c.c === 'dispatch' ? [c.task] : []));
}

export function dispatchedIds(cmds: InstanceCommand[]): string[] {
  return dispatched(cmds).map((t) => t.stepId);
}
