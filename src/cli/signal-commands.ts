/**
 * `maestro signal NAME k=v ...`: announce a signal; `maestro signals NAME`: list or show its
 * instances (SignalService, maestro-semantics §8.1–8.2).
 *
 * Param values: `k=v` is a long when v is an integer literal (`-?[0-9]+`, within ±2^53-1), else
 * a string; `--param-json k=JSON` takes a JSON number (read as a long, 1.5 -> 1) or string, so
 * `--param-json id='"123"'` is the string "123".
 */
import { parseArgs } from 'node:util';
import type { Command } from './command.js';
import { EXIT_OK, UsageError } from './errors.js';
import { parseCommandLine, parsePositiveInt } from './options.js';
import { SERVER_OPTION, SERVER_USAGE, serverTarget, withClient } from './remote.js';
import { table } from './render.js';
import { signalInstanceJson } from '../core/signals/encode.js';
import type { SignalInstance, SignalRequest, SignalValue } from '../core/signals/model.js';

const INTEGER = /^-?\d+$/;

/** `k=v` items and `--param-json k=JSON` items as signal params (a name given twice is an error). */
export function parseSignalParams(plain: readonly string[], json: readonly string[] = []): Record<string, SignalValue> {
  const params: Record<string, SignalValue> = {};
  const set = (option: string, item: string, read: (v: string, name: string) => SignalValue) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`${option}${JSON.stringify(item)}: expected NAME=VALUE`);
    const name = item.slice(0, eq);
    if (Object.hasOwn(params, name)) throw new UsageError(`signal: param ${name} given twice`);
    Object.defineProperty(params, name, { value: read(item.slice(eq + 1), name), enumerable: true, writable: true, configurable: true });
  };
  for (const item of plain) {
    set('', item, (v) => (INTEGER.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v));
  }
  for (const item of json) {
    set('--param-json ', item, (v, name) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch (err) {
        throw new UsageError(`--param-json ${name}: value is not JSON (${(err as Error).message})`, { cause: err });
      }
      if (typeof parsed !== 'number' && typeof parsed !== 'string') throw new UsageError(`--param-json ${name}: must be a JSON number or string, got ${v}`);
      return parsed;
    });
  }
  return params;
}

function parsePayload(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--payload: not JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError('--payload: must be a JSON object');
  return v as Record<string, unknown>;
}

function line(s: SignalInstance): string {
  return `signal ${s.name} seq ${s.seqId} (instance ${s.instanceId})`;
}

function row(s: SignalInstance): string[] {
  return [String(s.seqId), s.instanceId, JSON.stringify(s.params), new Date(s.createTimeMs).toISOString()];
}
const HEADER = ['SEQ', 'INSTANCE_ID', 'PARAMS', 'CREATED'];

export const signalCommand: Command = {
  name: 'signal',
  group: 'client',
  summary: 'announce a signal (steps waiting on it and signal triggers see it)',
  usage: [
    'maestro signal NAME [PARAM=VALUE]... [--param-json PARAM=JSON]... [--payload JSON] [--request-id X] [--request-time MS] [--json]',
    '  PARAM=VALUE          a matchable param: a long when VALUE is an integer literal, else a string',
    '  --param-json P=JSON  a param as JSON: a number (a long; 1.5 is read as 1) or a string ("123" stays a string)',
    '  --payload JSON       a JSON object kept with the signal (not matchable, not part of the dedup key)',
    '  --request-id X       dedup key (default: derived from NAME and the params, as Maestro)',
    '  --request-time MS    announce time in epoch ms (default: when the node receives it)',
    '  --json               print the stored instance as Maestro\'s JSON',
    '  A repeat of NAME with the same params (and no new --request-id) is refused as a duplicate (exit 1).',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          ...SERVER_OPTION,
          'param-json': { type: 'string', multiple: true },
          payload: { type: 'string' },
          'request-id': { type: 'string' },
          'request-time': { type: 'string' },
          json: { type: 'boolean', default: false },
        },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(`signal: ${(err as Error).message}`, { cause: err });
    }
    const { values, positionals } = parsed;
    const [name, ...items] = positionals;
    if (name === undefined) throw new UsageError('signal: missing NAME');
    const signal: SignalRequest = { params: parseSignalParams(items, values['param-json']), payload: parsePayload(values.payload) };
    if (values['request-id'] !== undefined) signal.requestId = values['request-id'];
    if (values['request-time'] !== undefined) signal.requestTimeMs = parsePositiveInt(values['request-time'], '--request-time');
    return withClient(serverTarget(values, io), io, async (client) => {
      const s = await client.sendSignal(name, signal);
      io.out(values.json ? JSON.stringify(signalInstanceJson(s), null, 2) : `announced ${line(s)}`);
      return EXIT_OK;
    });
  },
};

export const signalsCommand: Command = {
  name: 'signals',
  group: 'client',
  summary: 'list the instances of a signal, or show one',
  usage: [
    'maestro signals NAME [--after N] [--limit N] [--seq N|latest] [--json]',
    '  --after N            only instances with seq > N (default 0)',
    '  --limit N            at most N (default 100, max 1000)',
    '  --seq N|latest       show one instance (with its payload) instead of a list',
    '  --json               Maestro\'s SignalInstance JSON (one object, or a list)',
    SERVER_USAGE,
  ],
  async run(argv, io) {
    const { values, args } = parseCommandLine(
      'signals',
      argv,
      { ...SERVER_OPTION, after: { type: 'string' }, limit: { type: 'string' }, seq: { type: 'string' }, json: { type: 'boolean', default: false } },
      ['NAME'],
    );
    const name = args[0] ?? '';
    const after = values.after === undefined || values.after === '0' ? undefined : parsePositiveInt(values.after, '--after');
    const limit = values.limit === undefined ? undefined : parsePositiveInt(values.limit, '--limit');
    const seq = values.seq === undefined || values.seq === 'latest' ? undefined : parsePositiveInt(values.seq, '--seq');
    return withClient(serverTarget(values, io), io, async (client) => {
      if (values.seq !== undefined) {
        const s = await client.getSignal(name, seq);
        if (values.json) io.out(JSON.stringify(signalInstanceJson(s), null, 2));
        else {
          io.out(line(s));
          io.out(`  params:  ${JSON.stringify(s.params)}`);
          io.out(`  payload: ${JSON.stringify(s.payload)}`);
          io.out(`  request_time: ${new Date(s.requestTimeMs).toISOString()}  create_time: ${new Date(s.createTimeMs).toISOString()}`);
        }
        return EXIT_OK;
      }
      const r = await client.listSignals(name, after, limit);
      if (values.json) io.out(JSON.stringify(r.instances.map(signalInstanceJson), null, 2));
      else if (r.instances.length === 0) io.out(`no instances of signal ${name}${after ? ` after seq ${after}` : ''} (latest seq ${r.latestSeq})`);
      else for (const l of table(HEADER, r.instances.map(row))) io.out(l);
      return EXIT_OK;
    });
  },
};
