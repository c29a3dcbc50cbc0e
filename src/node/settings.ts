/**
 * Every config setting by name, for the command line and the environment: `--set KEY=VALUE` and
 * `MAESTRO_<KEY>` reach any key of `defaultClusterConfig` — a top-level one (`checkpointEveryRecords`,
 * `MAESTRO_CHECKPOINT_EVERY_RECORDS`) or one in a tuning group (`executor.httpTimeoutMs`,
 * `MAESTRO_EXECUTOR_HTTP_TIMEOUT_MS`). A value is parsed as its default's type: numbers (`_` allowed
 * as a separator), booleans (true/false), strings, lists (comma-separated). Unknown keys and bad
 * values are ValidationErrors naming the key and where it came from.
 */
import { ValidationError } from '../core/errors.js';
import { defaultClusterConfig, overlay, type ClusterConfig, type ConfigOverrides } from './config.js';

export interface SettingEntry {
  key: string;
  value: string;
  /** Where it came from, for errors: `--set` or the environment variable's name. */
  source: string;
}

type Kind = 'number' | 'boolean' | 'string' | 'list';

export interface SettingInfo {
  key: string;
  env: string;
  kind: Kind;
  /** The default (undefined: none; the setting is optional). */
  default: unknown;
}

/** Settings without a default value, and their kinds. */
const OPTIONAL: Record<string, Kind> = { dataDir: 'string', nodeId: 'string', advertiseHost: 'string', knownStepTypes: 'list', httpPort: 'number', httpHost: 'string' };

let table: Map<string, SettingInfo> | undefined;

/** Every setting, in config order. */
export function settingsTable(): SettingInfo[] {
  if (!table) {
    table = new Map();
    const defaults = defaultClusterConfig({ nats: [], etcd: [] }) as unknown as Record<string, unknown>;
    const add = (key: string, value: unknown, kind?: Kind): void => void table!.set(key, { key, env: envNameOf(key), kind: kind ?? kindOf(value), default: value });
    for (const [k, v] of Object.entries(defaults)) {
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) for (const [g, gv] of Object.entries(v)) add(`${k}.${g}`, gv);
      else add(k, v);
    }
    for (const [k, kind] of Object.entries(OPTIONAL)) if (!table.has(k)) add(k, undefined, kind);
  }
  return [...table.values()];
}

/** `executor.httpTimeoutMs` -> `MAESTRO_EXECUTOR_HTTP_TIMEOUT_MS`. */
export function envNameOf(key: string): string {
  return `MAESTRO_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase()}`;
}

/** The settings given in `env` (MAESTRO_<KEY> for every known key). */
export function settingsFromEnv(env: Record<string, string | undefined>): SettingEntry[] {
  return settingsTable().flatMap((s) => (env[s.env] === undefined || env[s.env] === '' ? [] : [{ key: s.key, value: env[s.env]!, source: s.env }]));
}

/** `KEY=VALUE` from `--set`. */
export function parseSetArgument(arg: string): SettingEntry {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new ValidationError('--set', `expected KEY=VALUE, got ${JSON.stringify(arg)}`);
  return { key: arg.slice(0, eq).trim(), value: arg.slice(eq + 1), source: '--set' };
}

/** Later entries win. The result overlays defaults (and is overlaid by flags). */
export function settingsToOverrides(entries: readonly SettingEntry[]): ConfigOverrides<ClusterConfig> {
  const known = new Map(settingsTable().map((s) => [s.key, s]));
  let out: Record<string, unknown> = {};
  for (const e of entries) {
    const info = known.get(e.key);
    if (!info) throw new ValidationError(e.source, `unknown setting ${JSON.stringify(e.key)}${suggest(e.key, [...known.keys()])}`);
    const value = parseValue(info, e);
    const dot = e.key.indexOf('.');
    const layer = dot < 0 ? { [e.key]: value } : { [e.key.slice(0, dot)]: { [e.key.slice(dot + 1)]: value } };
    out = overlay(out, layer);
  }
  return out as ConfigOverrides<ClusterConfig>;
}

function parseValue(info: SettingInfo, e: SettingEntry): unknown {
  const raw = e.value.trim();
  const bad = (what: string): never => {
    throw new ValidationError(e.source, `${e.key} must be ${what}, got ${JSON.stringify(e.value)}`);
  };
  switch (info.kind) {
    case 'number': {
      const n = Number(raw.replace(/_/g, ''));
      if (raw === '' || !Number.isFinite(n) || n < 0) bad('a non-negative number');
      return n;
    }
    case 'boolean':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return bad('true or false');
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'string':
      return raw;
  }
}

function kindOf(v: unknown): Kind {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (Array.isArray(v)) return 'list';
  return 'string';
}

function suggest(key: string, keys: string[]): string {
  const last = key.split('.').pop()!.toLowerCase();
  const close = keys.filter((k) => k.toLowerCase().endsWith(last) || k.toLowerCase().includes(last)).slice(0, 3);
  return close.length ? ` (did you mean ${close.join(', ')}?)` : ' (`maestro config` lists them)';
}
