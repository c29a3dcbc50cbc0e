/**
 * One process per data dir: a lock file holding the owner's pid, created atomically with its
 * content (write a private temp file, then link(2) it into place, which fails if the lock exists).
 * A lock whose pid is no longer alive (the owner crashed) is taken over. Known gap: two processes
 * taking over the same stale lock at the same instant can both succeed; starting two nodes on one
 * dir at once after a crash is not supported.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataDirLockedError } from './errors.js';

export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

export async function lockDir(dir: string, name: string): Promise<DirLock> {
  const path = join(dir, name);
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, `${process.pid}\n`);
    try {
      await link(tmp, path);
      return held(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await rm(tmp, { force: true });
    }
    const holder = await readHolder(path);
    if (holder === 'gone') continue;
    if (holder !== undefined && isAlive(holder)) throw new DataDirLockedError(path, holder);
    await rm(path, { force: true }); // stale: its owner is dead (or it is unreadable)
  }
  throw new DataDirLockedError(path, undefined, 'could not take over the stale lock');
}

function held(path: string): DirLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      if ((await readHolder(path)) === process.pid) await unlink(path);
    },
  };
}

async function readHolder(path: string): Promise<number | undefined | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw e;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false; // no such process
    if (code === 'EPERM') return true; // alive, owned by another user
    throw e;
  }
}
