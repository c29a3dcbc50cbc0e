/** Command-line parsing shared by the commands (node:util parseArgs), with errors naming the argument. */
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { DefinitionFormat } from '../workflow/engine-api.js';
import { UsageError } from './errors.js';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export function parseCommandLine<O extends OptionSpecs>(
  command: string,
  argv: string[],
  options: O,
  positionals: string[],
): { values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values']; args: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`, { cause: err });
  }
  const args = parsed.positionals;
  if (args.length < positionals.length) {
    throw new UsageError(`${command}: missing ${positionals.slice(args.length).join(' ')}`);
  }
  if (args.length > positionals.length) {
    throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args[positionals.length])}`);
  }
  return { values: parsed.values, args };
}

/**
 * `--param k=v` gives the string v; `--param-json k=<json>` a typed value (number, list, map...).
 * `flag` names the option pair in errors (`--output` for `--output`/`--output-json`).
 */
export function parseParams(plain: string[] = [], json: string[] = [], flag = '--param'): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  const split = (option: string, item: string): [string, string] => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`${option} ${JSON.stringify(item)}: expected NAME=VALUE`);
    const name = item.slice(0, eq);
    if (name in params) throw new UsageError(`${option} ${name}: given twice`);
    return [name, item.slice(eq + 1)];
  };
  for (const item of plain) {
    const [name, value] = split(flag, item);
    params[name] = value;
  }
  for (const item of json) {
    const [name, value] = split(`${flag}-json`, item);
    try {
      params[name] = JSON.parse(value);
    } catch (err) {
      throw new UsageError(`${flag}-json ${name}: value is not JSON (${(err as Error).message})`, { cause: err });
    }
  }
  return params;
}

export function parsePositiveInt(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** A positive integer option, or undefined when absent. */
export function optionalPositiveInt(value: string | undefined, what: string): number | undefined {
  return value === undefined ? undefined : parsePositiveInt(value, what);
}

export function parsePort(value: string, what = '--port'): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`${what} must be a port number (0-65535), got ${JSON.stringify(value)}`);
  return n;
}

/** A definition file: YAML for .yaml/.yml, JSON for .json, else JSON when it starts with '{'. */
export async function readDefinitionFile(file: string, cwd: string): Promise<{ text: string; format: DefinitionFormat }> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const ext = extname(file).toLowerCase();
  const format: DefinitionFormat = ext === '.yaml' || ext === '.yml' ? 'yaml' : ext === '.json' || text.trimStart().startsWith('{') ? 'json' : 'yaml';
  return { text, format };
}
