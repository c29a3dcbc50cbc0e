import { UnknownStepTypeError } from '../errors.js';
import type { ExecutorOptions } from '../options.js';
import type { StepRuntime } from '../runtime.js';
import { HttpRuntime } from './http.js';
import { NoOpRuntime } from './noop.js';
import { ShellRuntime } from './shell.js';
import { SleepRuntime } from './sleep.js';

/**
 * The runtimes an executor offers, keyed by lower-case step type. Shell is registered only when
 * `shellEnabled`; a disabled type is simply absent, so dispatch finds no executor for it.
 */
/** `now`: the clock Sleep measures against (the engine's; tests pass a fixed one). */
export function createRuntimeRegistry(opts: ExecutorOptions, now: () => number = Date.now): Map<string, StepRuntime> {
  const runtimes: StepRuntime[] = [new NoOpRuntime(), new SleepRuntime(now), new HttpRuntime(opts)];
  if (opts.shellEnabled) runtimes.push(new ShellRuntime(opts));
  return new Map(runtimes.map((r) => [r.type.toLowerCase(), r]));
}

/** The runtime for `stepType` (case-insensitive), or UnknownStepTypeError explaining what is registered. */
export function resolveRuntime(registry: ReadonlyMap<string, StepRuntime>, stepType: string): StepRuntime {
  const runtime = registry.get(stepType.toLowerCase());
  if (runtime === undefined) throw new UnknownStepTypeError(stepType, [...registry.values()].map((r) => r.type));
  return runtime;
}

/**
 * The runtimes owners may run inline: instant ones (NoOp) always, those with `tryNow` (Sleep)
 * when it has a verdict at once (otherwise they are dispatched).
 */
export function inlineRuntimes(registry: ReadonlyMap<string, StepRuntime>): Map<string, StepRuntime> {
  return new Map([...registry].filter(([, r]) => r.instant === true || r.tryNow !== undefined));
}
