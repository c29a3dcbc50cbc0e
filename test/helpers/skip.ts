/**
 * Tests that need something this machine may lack (a server binary, the Maestro conformance
 * corpus) are decided at registration: registered when it is there, otherwise registered as
 * skipped with a title that says what is missing. A test never passes without checking anything.
 */
import test, { type ImplementationFn } from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `test` (or `test.serial`) when `missing` is undefined, else `test.skip` titled "… (skipped: <missing>)". */
export function testIf(missing: string | undefined, opts: { serial?: boolean } = {}): (title: string, fn: ImplementationFn<[]>) => void {
  return (title, fn) => {
    if (missing !== undefined) test.skip(`${title} (skipped: ${missing})`, fn);
    else if (opts.serial) test.serial(title, fn);
    else test(title, fn);
  };
}

/** Maestro's conformance corpus (samples/, invalid/), checked out beside this repository. */
export const CONFORMANCE_DIR = fileURLToPath(new URL('../../../shared/conformance/maestro/', import.meta.url));

/** Why the corpus (or the given paths inside it) cannot be used here; undefined when it can. */
export function conformanceMissing(...paths: string[]): string | undefined {
  const absent = (paths.length > 0 ? paths : ['samples', 'invalid']).map((p) => join(CONFORMANCE_DIR, p)).find((p) => !existsSync(p));
  return absent === undefined ? undefined : `${absent} not found (the Maestro conformance corpus is not checked out beside this repository)`;
}
