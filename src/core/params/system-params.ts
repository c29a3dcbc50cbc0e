/**
 * Maestro's default params (maestro-engine resources/defaultparams/*.yaml), computed natively
 * instead of by their SEL/Joda expressions. They are ordinary specs: a definition may override
 * the MUTABLE_ON_START ones (e.g. WORKFLOW_CRON_TIMEZONE), a run param at start too (e.g.
 * TARGET_RUN_DATE), and every param derived from an overridden one follows, since each reads
 * the others through `need`. owner, workflow_id and the step ids are RESERVED.
 *
 * Dates: TARGET_RUN_DATE/HOUR are RUN_TS in WORKFLOW_CRON_TIMEZONE (yyyyMMdd, HH); DERIVED_RUN_TS
 * is the start of that local hour; the DERIVED_* dates and hours are DERIVED_RUN_TS in UTC or
 * America/Los_Angeles, shifted by a day or an hour; RUN_DATE* are RUN_TS in UTC.
 */
import type { Step } from '../definition/model.js';
import { localHourMs, ZonedFormat, type Shift } from './dates.js';
import { ParamEvaluationError } from './errors.js';
import type { ComputeContext, ParamSpec } from './spec.js';
import type { StepParamContext } from './types.js';

const PACIFIC = 'America/Los_Angeles';
const UTC = 'UTC';

type Compute = (c: ComputeContext) => unknown;

const runTs = (c: ComputeContext) => c.need('RUN_TS');
const cronTz = (c: ComputeContext) => c.need('WORKFLOW_CRON_TIMEZONE');
const derivedTs = (c: ComputeContext) => c.need('DERIVED_RUN_TS');

/** `ts` as a date or hour in `zone`, shifted. */
function fmt(ts: Compute, zone: Compute | string, format: 'yyyyMMdd' | 'HH', shift?: Shift): Compute {
  const f = new ZonedFormat(format, shift);
  return (c) => {
    const ms = ts(c);
    const z = typeof zone === 'string' ? zone : String(zone(c));
    if (typeof ms !== 'number') throw new ParamEvaluationError(c.path, `expected a timestamp in ms, got ${JSON.stringify(ms)}`);
    const value = f.at(ms, z);
    if (value === undefined) throw new ParamEvaluationError(c.path, `unknown timezone [${z}]`);
    return value;
  };
}

function derivedRunTs(c: ComputeContext): number {
  const local = `${String(c.need('TARGET_RUN_DATE'))}${String(c.need('TARGET_RUN_HOUR'))}`;
  const zone = String(cronTz(c));
  const ms = localHourMs(local, zone);
  if (ms === undefined) {
    throw new ParamEvaluationError(c.path, `cannot read TARGET_RUN_DATE + TARGET_RUN_HOUR [${local}] as yyyyMMddHH in timezone [${zone}]`);
  }
  return ms;
}

const onStart = (type: 'LONG' | 'STRING', compute: Compute): ParamSpec => ({ type, compute, mode: 'MUTABLE_ON_START', source: 'SYSTEM_DEFAULT' });
const reserved = (type: ParamSpec['type'], compute: Compute): ParamSpec => ({ type, compute, mode: 'CONSTANT', internalMode: 'RESERVED', source: 'SYSTEM_DEFAULT' });

const DAY_BEFORE: Shift = { days: -1 };
const DAY_AFTER: Shift = { days: 1 };
const HOUR_BEFORE: Shift = { hours: -1 };
const HOUR_AFTER: Shift = { hours: 1 };

/** The default workflow params, in Maestro's order; specs are frozen, shared by every start. */
const WORKFLOW_DEFAULTS: ReadonlyArray<readonly [string, ParamSpec]> = [
  ['DSL_DEFAULT_TZ', onStart('STRING', (c) => c.system.firstTimeTriggerTimezone || UTC)],
  ['WORKFLOW_CRON_TIMEZONE', onStart('STRING', (c) => (c.system.initiatorType === 'TIME' && c.system.timezone) || c.need('DSL_DEFAULT_TZ'))],
  ['RUN_TS', onStart('LONG', (c) => c.system.runTsMs ?? c.nowMs)],
  ['TARGET_RUN_DATE', onStart('STRING', fmt(runTs, cronTz, 'yyyyMMdd'))],
  ['TARGET_RUN_HOUR', onStart('STRING', fmt(runTs, cronTz, 'HH'))],
  ['DERIVED_RUN_TS', onStart('LONG', derivedRunTs)],
  ['DERIVED_RUN_DATE_US_PACIFIC', onStart('STRING', fmt(derivedTs, PACIFIC, 'yyyyMMdd'))],
  ['DERIVED_RUN_DATE_US_PACIFIC_MINUS_ONE', onStart('STRING', fmt(derivedTs, PACIFIC, 'yyyyMMdd', DAY_BEFORE))],
  ['DERIVED_RUN_DATE_UTC', onStart('STRING', fmt(derivedTs, UTC, 'yyyyMMdd'))],
  ['DERIVED_RUN_DATE_UTC_MINUS_ONE', onStart('STRING', fmt(derivedTs, UTC, 'yyyyMMdd', DAY_BEFORE))],
  ['DERIVED_RUN_DATE_UTC_PLUS_ONE', onStart('STRING', fmt(derivedTs, UTC, 'yyyyMMdd', DAY_AFTER))],
  ['DERIVED_RUN_DATE_UTC_MINUS_ONE_HOUR', onStart('STRING', fmt(derivedTs, UTC, 'yyyyMMdd', HOUR_BEFORE))],
  ['DERIVED_RUN_DATE_UTC_PLUS_ONE_HOUR', onStart('STRING', fmt(derivedTs, UTC, 'yyyyMMdd', HOUR_AFTER))],
  ['DERIVED_RUN_HOUR_US_PACIFIC', onStart('STRING', fmt(derivedTs, PACIFIC, 'HH'))],
  ['DERIVED_RUN_HOUR_UTC', onStart('STRING', fmt(derivedTs, UTC, 'HH'))],
  ['DERIVED_RUN_HOUR_UTC_MINUS_ONE_HOUR', onStart('STRING', fmt(derivedTs, UTC, 'HH', HOUR_BEFORE))],
  ['DERIVED_RUN_HOUR_UTC_PLUS_ONE_HOUR', onStart('STRING', fmt(derivedTs, UTC, 'HH', HOUR_AFTER))],
  ['LOCAL_RUN_DATE', onStart('STRING', fmt(runTs, cronTz, 'yyyyMMdd'))],
  ['RUN_DATE', onStart('STRING', fmt(runTs, UTC, 'yyyyMMdd'))],
  ['RUN_DATE_MINUS_1', onStart('STRING', fmt(runTs, UTC, 'yyyyMMdd', DAY_BEFORE))],
  ['RUN_DATE_MINUS_7', onStart('STRING', fmt(runTs, UTC, 'yyyyMMdd', { days: -7 }))],
  ['job_template_version', { type: 'STRING', mode: 'MUTABLE', internalMode: 'OPTIONAL', source: 'SYSTEM_DEFAULT' }],
  ['owner', reserved('STRING', (c) => c.system.owner)],
  ['workflow_id', reserved('STRING', (c) => c.system.workflowId)],
];
for (const [, spec] of WORKFLOW_DEFAULTS) Object.freeze(spec);

/** The default workflow params, in Maestro's order: a fresh map the merge stages may change. */
export function workflowDefaults(): Map<string, ParamSpec> {
  return new Map(WORKFLOW_DEFAULTS);
}

/** The default params of a step: its ids, plus those of its kind (foreach, while, subworkflow). */
export function stepDefaults(step: Step, ctx: StepParamContext): Map<string, ParamSpec> {
  const out = new Map<string, ParamSpec>([
    ['workflow_instance_id', reserved('LONG', () => ctx.system.instanceId)],
    ['step_instance_uuid', reserved('STRING', () => ctx.stepInstanceUuid)],
    ['step_attempt_id', reserved('LONG', () => ctx.attempt)],
    ['step_id', reserved('STRING', () => step.id)],
  ]);
  if (step.kind === 'foreach' || step.kind === 'while') {
    out.set('loop_params', { type: 'MAP', nested: {}, validator: '@NotEmpty', mode: 'MUTABLE_ON_START', internalMode: 'REQUIRED', source: 'SYSTEM_DEFAULT' });
    out.set('loop_index', { type: 'LONG', value: -1, mode: 'CONSTANT', internalMode: 'RESERVED', source: 'SYSTEM_DEFAULT' });
  }
  if (step.kind === 'while') {
    out.set('condition', { type: 'BOOLEAN', value: false, mode: 'CONSTANT', internalMode: 'RESERVED', source: 'SYSTEM_DEFAULT' });
  }
  if (step.kind === 'subworkflow') {
    out.set('subworkflow_id', { type: 'STRING', validator: '@NotEmpty', mode: 'MUTABLE_ON_START', internalMode: 'REQUIRED', source: 'SYSTEM_DEFAULT' });
    out.set('subworkflow_version', { type: 'STRING', value: 'active', validator: '@NotEmpty', mode: 'MUTABLE_ON_START', internalMode: 'PROVIDED', source: 'SYSTEM_DEFAULT' });
  }
  return out;
}
