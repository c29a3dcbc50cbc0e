/** `maestro config`: every setting, its value (defaults overlaid with MAESTRO_* and --set) and its env var. */
import type { Command } from './command.js';
import { EXIT_OK } from './errors.js';
import { nodeOverrides } from './globals.js';
import { parseCommandLine } from './options.js';

export const configCommand: Command = {
  name: 'config',
  group: 'local',
  summary: 'list every setting with its value and environment variable',
  usage: [
    'maestro config [--json]',
    '  --json               print {"key": value, ...} instead of a table',
    'Values are config.ts defaults (cluster defaults where they differ, e.g. partitions 256) overlaid',
    'with MAESTRO_<KEY> variables and --set KEY=VALUE; node commands take the same layers.',
  ],
  async run(argv, io, globals) {
    const { values } = parseCommandLine('config', argv, { json: { type: 'boolean', default: false } }, []);
    const { defaultClusterConfig } = await import('../node/config.js');
    const { settingsTable } = await import('../node/settings.js');
    const settings = nodeOverrides(globals, io.env, {}, {});
    const config = defaultClusterConfig({ ...settings, nats: settings.nats ?? [], etcd: settings.etcd ?? [] }) as unknown as Record<string, unknown>;
    const rows = settingsTable().map((s) => {
      const [group, field] = s.key.split('.');
      const value = field === undefined ? config[s.key] : (config[group!] as Record<string, unknown>)[field];
      return { key: s.key, value, env: s.env };
    });
    if (values.json) {
      io.out(JSON.stringify(Object.fromEntries(rows.map((r) => [r.key, r.value ?? null])), null, 2));
      return EXIT_OK;
    }
    const show = (v: unknown): string => (v === undefined ? '-' : Array.isArray(v) ? v.join(',') || '[]' : String(v));
    const w1 = Math.max(...rows.map((r) => r.key.length));
    const w2 = Math.max(...rows.map((r) => show(r.value).length));
    for (const r of rows) io.out(`${r.key.padEnd(w1)}  ${show(r.value).padEnd(w2)}  ${r.env}`);
    return EXIT_OK;
  },
};
