/**
 * A service actor's pure logic: a reducer over journaled events.
 *
 * Service actors are per-key singletons hosted by a partition beside instance actors (the queue
 * owner of a workflow, a tag-permit manager, ...). Their key starts with `~<kind>/` and is
 * routed, owned, fenced, journaled, checkpointed and recovered exactly like an instance key
 * (src/workflow/service-actor.ts runs them). What a service decides from outside facts (the
 * clock, a definition, another actor's answer) is put INTO the event before it is journaled,
 * so replay is a pure fold of `apply` over the events and never asks anything.
 *
 * - `initial(key)`: the state before the first event (never journaled).
 * - `apply(state, event)`: the next state and the effects to run once the event is durable.
 *   Pure and total for journaled events (a refusal is decided before journaling, never here).
 *   It must not mutate `state` (return a new object; structural sharing is fine).
 * - `resume(state)`: effects to run after recovery, for whatever the crash may have cut short
 *   (effects must therefore be idempotent at their receivers).
 * State, events and effects are plain data (msgpack-able): the state is snapshotted as is.
 */
export interface ServiceReducer<S extends { seq: number }, E, F> {
  initial(key: string): S;
  apply(state: S, event: E): { state: S; effects: F[] };
  resume(state: S): F[];
}

/** Service actor keys: `~<kind>/<rest>`; instance keys never start with `~`. */
export const SERVICE_KEY_PREFIX = '~';

export function isServiceKey(key: string): boolean {
  return key.startsWith(SERVICE_KEY_PREFIX);
}
