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
import { DateTime } from 'luxon';
import type { Step } from '../definition/model.js';
import { ParamEvaluationError } from './errors.js';
import type { ComputeContext, ParamSpec } from './spec.js';
import type { StepParamContext } from './types.js';

const PACIFIC = 'America/Los_Angeles';
const UTC = 'UTC';

function zoned(c: ComputeContext, ms: unknown, zone: unknown): DateTime {
  if (typeof ms !== 'number') throw new ParamEvaluationError(c.path, `expected a timestamp in ms, got ${JSON.stringify(ms)}`);
  const dt = DateTime.fromMillis(ms, { zone: String(zone) });
  if (!dt.isValid) throw new ParamEvaluationError(c.path, `unknown timezone [${String(zone)}]`);
  return dt;
}

const runTs = (c: ComputeContext) => c.need('RUN_TS');
const cronTz = (c: ComputeContext) => c.need('WORKFLOW_CRON_TIMEZONE');
const derivedTs = (c: ComputeContext) => c.need('DERIVED_RUN_TS');

function derivedRunTs(c: ComputeContext): number {
  const local = `${String(c.need('TARGET_RUN_DATE'))}${String(c.need('TARGET_RUN_HOUR'))}`;
  const zone = String(cronTz(c));
  const dt = DateTime.fromFormat(local, 'yyyyMMddHH', { zone });
  if (!dt.isValid) {
    throw new ParamEvaluationError(c.path, `cannot read TARGET_RUN_DATE + TARGET_RUN_HOUR [${local}] as yyyyMMddHH in timezone [${zone}]`);
  }
  return dt.toMillis();
}

type Compute = (c: ComputeContext) => unknown;

const onStart = (type: 'LONG' | 'STRING', compute: Compute): ParamSpec => ({ type, compute, mode: 'MUTABLE_ON_START', source: 'SYSTEM_DEFAULT' });
const reserved = (type: ParamSpec['type'], compute: Compute): ParamSpec => ({ type, compute, mode: 'CONSTANT', internalMode: 'RESERVED', source: 'SYSTEM_DEFAULT' });

/** The default workflow params, in Maestro's order. */
export function workflowDefaults(): Map<string, ParamSpec> {
  const fmt = (ts: Compute, zone: Compute | string, f: (d: DateTime) => DateTime, format: string): Compute =>
    (c) => f(zoned(c, ts(c), typeof zone === 'string' ? zone : zone(c))).toFormat(format);
  const same = (d: DateTime) => d;
  const entries: Array<[string, ParamSpec]> = [
    ['DSL_DEFAULT_TZ', onStart('STRING', (c) => c.system.firstTimeTriggerTimezone || UTC)],
    ['WORKFLOW_CRON_TIMEZONE', onStart('STRING', (c) => (c.system.initiatorType === 'TIME' && c.system.timezone) || c.need('DSL_DEFAULT_TZ'))],
    ['RUN_TS', onStart('LONG', (c) => c.nowMs)],
    ['TARGET_RUN_DATE', onStart('STRING', fmt(runTs, cronTz, same, 'yyyyMMdd'))],
    ['TARGET_RUN_HOUR', onStart('STRING', fmt(runTs, cronTz, same, 'HH'))],
    ['DERIVED_RUN_TS', onStart('LONG', derivedRunTs)],
    ['DERIVED_RUN_DATE_US_PACIFIC', onStart('STRING', fmt(derivedTs, PACIFIC, same, 'yyyyMMdd'))],
    ['DERIVED_RUN_DATE_US_PACIFIC_MINUS_ONE', onStart('STRING', fmt(derivedTs, PACIFIC, (d) => d.minus({ days: 1 }), 'yyyyMMdd'))],
    ['DERIVED_RUN_DATE_UTC', onStart('STRING', fmt(derivedTs, UTC, same, 'yyyyMMdd'))],
    ['DERIVED_RUN_DATE_UTC_MINUS_ONE', onStart('STRING', fmt(derivedTs, UTC, (d) => d.minus({ days: 1 }), 'yyyyMMdd'))],
    ['DERIVED_RUN_DATE_UTC_PLUS_ONE', onStart('STRING', fmt(derivedTs, UTC, (d) => d.plus({ days: 1 }), 'yyyyMMdd'))],
    ['DERIVED_RUN_DATE_UTC_MINUS_ONE_HOUR', onStart('STRING', fmt(derivedTs, UTC, (d) => d.minus({ hours: 1 }), 'yyyyMMdd'))],
    ['DERIVED_RUN_DATE_UTC_PLUS_ONE_HOUR', onStart('STRING', fmt(derivedTs, UTC, (d) => d.plus({ hours: 1 }), 'yyyyMMdd'))],
    ['DERIVED_RUN_HOUR_US_PACIFIC', onStart('STRING', fmt(derivedTs, PACIFIC, same, 'HH'))],
    ['DERIVED_RUN_HOUR_UTC', onStart('STRING', fmt(derivedTs, UTC, same, 'HH'))],
    ['DERIVED_RUN_HOUR_UTC_MINUS_ONE_HOUR', onStart('STRING', fmt(derivedTs, UTC, (d) => d.minus({ hours: 1 }), 'HH'))],
    ['DERIVED_RUN_HOUR_UTC_PLUS_ONE_HOUR', onStart('STRING', fmt(derivedTs, UTC, (d) => d.plus({ hours: 1 }), 'HH'))],
    ['LOCAL_RUN_DATE', onStart('STRING', fmt(runTs, cronTz, same, 'yyyyMMdd'))],
    ['RUN_DATE', onStart('STRING', fmt(runTs, UTC, same, 'yyyyMMdd'))],
    ['RUN_DATE_MINUS_1', onStart('STRING', fmt(runTs, UTC, (d) => d.minus({ days: 1 }), 'yyyyMMdd'))],
    ['RUN_DATE_MINUS_7', onStart('STRING', fmt(runTs, UTC, (d) => d.minus({ days: 7 }), 'yyyyMMdd'))],
    ['job_template_version', { type: 'STRING', mode: 'MUTABLE', internalMode: 'OPTIONAL', source: 'SYSTEM_DEFAULT' }],
    ['owner', reserved('STRING', (c) => c.system.owner)],
    ['workflow_id', reserved('STRING', (c) => c.system.workflowId)],
  ];
  return new Map(entries);
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
