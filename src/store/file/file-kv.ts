/**
 * KvStore persisted in a data dir: `<dir>/kv.log` (format in ./kv-log.ts), `<dir>/kv.lock`.
 *
 * Invariants:
 * - Two maps: `accepted` holds every put/delete that passed its CAS check (in-flight included),
 *   so concurrent CAS writers in this process are serialized; `durable` holds what is on disk and
 *   is the only thing reads return. A read first waits for writes of its key (list: all writes)
 *   submitted before it, so it sees every write that was accepted earlier.
 * - Revisions come from one store-wide counter, so a deleted and re-created key never reuses a
 *   revision (no ABA for CAS). Compaction records the counter in a meta line.
 * - Writes are group-committed (one write + fdatasync per batch, per `fsync`). If a write fails
 *   the accepted and durable states may differ, so the store turns broken: every later call
 *   rejects with the KvIoError; reopening replays the log (a torn tail is dropped) and recovers.
 * - When the log exceeds max(compactMinBytes, 2 x live bytes) it is rewritten with the live
 *   entries (temp file, fsync, rename, fsync dir); a failed compaction warns and keeps the old log.
 */
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '../../core/errors.js';
import { GroupCommitter } from '../../storage/group-commit.js';
import { lockDir, type DirLock } from '../../storage/dir-lock.js';
import { StoreClosedError } from '../../storage/errors.js';
import { readFully, syncDir, writeFully, type FsyncMode } from '../../storage/fs-util.js';
import { CasConflictError, type KvEntry, type KvStore } from '../port.js';
import { KvIoError } from './errors.js';
import { fallbackLogger, type Logger } from '../../log/logger.js';
import { deleteLine, metaLine, parseLog, putLine, type KvValue } from './kv-log.js';

export interface FileKvOptions {
  fsync: FsyncMode;
  /** The log is never compacted below this size. */
  compactMinBytes: number;
  /** Told (warn) about a dropped torn tail or a failed compaction. */
  log: Logger;
}

export function fileKvDefaults(): FileKvOptions {
  return {
    fsync: 'batch',
    compactMinBytes: 1024 * 1024,
    log: fallbackLogger(),
  };
}

interface Write {
  line: string;
  key: string;
  value: KvValue | undefined; // undefined: delete
}

/** Turns a write's outcome into "settled" for the ordering chains; the caller gets the outcome itself. */
const settled = (): void => undefined;

export class FileKv implements KvStore {
  private readonly committer: GroupCommitter<Write>;
  private readonly pending = new Map<string, Promise<void>>();
  private lastWrite: Promise<void> = Promise.resolve();
  private broken: Error | undefined;
  private closed = false;
  private liveBytes = 0;

  private constructor(
    private readonly path: string,
    private fh: FileHandle,
    private size: number,
    private readonly accepted: Map<string, KvValue>,
    private readonly durable: Map<string, KvValue>,
    private lastRevision: number,
    private readonly opts: FileKvOptions,
    private readonly lock: DirLock,
  ) {
    for (const v of durable.values()) this.liveBytes += v.lineBytes;
    this.committer = new GroupCommitter<Write>((_p, writes) => this.writeBatch(writes), {
      maxBatch: opts.fsync === 'always' ? 1 : 1024,
    });
  }

  static async open(dir: string, options: Partial<FileKvOptions> = {}): Promise<FileKv> {
    const merged = { ...fileKvDefaults(), ...options };
    const opts = { ...merged, log: merged.log.child({ module: 'kv' }) };
    if (!Number.isSafeInteger(opts.compactMinBytes) || opts.compactMinBytes < 0) {
      throw new ValidationError('compactMinBytes', `must be an integer >= 0, got ${opts.compactMinBytes}`);
    }
    await mkdir(dir, { recursive: true });
    const lock = await lockDir(dir, 'kv.lock');
    const path = join(dir, 'kv.log');
    let fh: FileHandle | undefined;
    try {
      await rm(`${path}.compact`, { force: true });
      fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
      const buf = await readFully(fh);
      if (buf.length === 0 && opts.fsync !== 'never') await syncDir(dir); // the new file's dir entry
      const log = parseLog(buf, path);
      if (log.validBytes < buf.length) {
        await fh.truncate(log.validBytes);
        await fh.sync();
        opts.log.warn({ path }, `${path}: dropped a torn tail of ${buf.length - log.validBytes} bytes at offset ${log.validBytes}`);
      }
      return new FileKv(path, fh, log.validBytes, new Map(log.entries), log.entries, log.lastRevision, opts, lock);
    } catch (e) {
      await fh?.close().catch((closeErr: unknown) => opts.log.warn({ err: closeErr, path }, 'closing a store that failed to open failed too'));
      await lock.release();
      throw e;
    }
  }

  async get<T>(key: string): Promise<KvEntry<T> | undefined> {
    this.check();
    const w = this.pending.get(key);
    if (w !== undefined) await w;
    this.check();
    const v = this.durable.get(key);
    return v === undefined ? undefined : { key, value: JSON.parse(v.json) as T, revision: v.revision };
  }

  async put(key: string, value: unknown, expectedRevision?: number): Promise<number> {
    this.check();
    if (typeof key !== 'string' || key === '') throw new ValidationError('key', 'must be a non-empty string');
    const json = JSON.stringify(value);
    if (json === undefined) throw new ValidationError('value', `of ${key} is not JSON-serializable`);
    const cur = this.accepted.get(key);
    if (expectedRevision !== undefined && (cur?.revision ?? 0) !== expectedRevision) throw new CasConflictError(key);
    const revision = ++this.lastRevision;
    const line = putLine(key, revision, json);
    const v: KvValue = { json, revision, lineBytes: Buffer.byteLength(line) };
    this.accepted.set(key, v);
    await this.submit({ line, key, value: v });
    return revision;
  }

  async delete(key: string): Promise<void> {
    this.check();
    if (!this.accepted.has(key)) {
      await this.pending.get(key);
      return;
    }
    this.accepted.delete(key);
    await this.submit({ line: deleteLine(key, ++this.lastRevision), key, value: undefined });
  }

  async list<T>(prefix: string): Promise<KvEntry<T>[]> {
    this.check();
    await this.lastWrite;
    this.check();
    return [...this.durable.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((k) => {
        const v = this.durable.get(k)!;
        return { key: k, value: JSON.parse(v.json) as T, revision: v.revision };
      });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.idle();
    await this.fh.close();
    await this.lock.release();
  }

  private submit(w: Write): Promise<void> {
    const done = this.committer.submit(0, w);
    const quiet = done.then(settled, settled);
    this.pending.set(w.key, quiet);
    this.lastWrite = quiet;
    void quiet.then(() => {
      if (this.pending.get(w.key) === quiet) this.pending.delete(w.key);
    });
    return done;
  }

  private async writeBatch(writes: Write[]): Promise<void> {
    if (this.broken) throw this.broken;
    const buf = Buffer.from(writes.length === 1 ? writes[0]!.line : writes.map((w) => w.line).join(''));
    try {
      await writeFully(this.fh, buf, this.size);
      if (this.opts.fsync !== 'never') await this.fh.datasync();
    } catch (e) {
      this.broken = new KvIoError(`${this.path}: write failed; reopen the store`, { cause: e });
      throw this.broken;
    }
    this.size += buf.length;
    for (const w of writes) {
      this.liveBytes -= this.durable.get(w.key)?.lineBytes ?? 0;
      if (w.value === undefined) this.durable.delete(w.key);
      else this.durable.set(w.key, w.value);
      this.liveBytes += w.value?.lineBytes ?? 0;
    }
    if (this.size > Math.max(this.opts.compactMinBytes, 2 * this.liveBytes)) {
      await this.compact().catch((e: unknown) => this.opts.log.warn({ err: e, path: this.path }, `${this.path}: compaction failed, keeping the log`));
    }
  }

  private async compact(): Promise<void> {
    const tmp = `${this.path}.compact`;
    const lines = [metaLine(this.lastRevision)];
    const live = new Map<string, KvValue>();
    for (const [k, v] of this.durable) {
      const l = putLine(k, v.revision, v.json);
      lines.push(l);
      live.set(k, { ...v, lineBytes: Buffer.byteLength(l) });
    }
    const buf = Buffer.from(lines.join(''));
    let out: FileHandle | undefined;
    try {
      out = await open(tmp, 'w');
      await writeFully(out, buf, 0);
      if (this.opts.fsync !== 'never') await out.sync();
      await out.close();
      out = undefined;
      await rename(tmp, this.path);
    } catch (e) {
      await out?.close().catch((closeErr: unknown) => this.opts.log.warn({ err: closeErr, path: tmp }, 'closing the failed compaction image failed too'));
      await rm(tmp, { force: true });
      throw e;
    }
    try {
      if (this.opts.fsync !== 'never') await syncDir(join(this.path, '..'));
      const old = this.fh;
      this.fh = await open(this.path, 'r+');
      await old.close().catch((closeErr: unknown) => this.opts.log.warn({ err: closeErr, path: this.path }, 'closing the pre-compaction handle failed'));
    } catch (e) {
      this.broken = new KvIoError(`${this.path}: cannot reopen after compaction; reopen the store`, { cause: e });
      throw this.broken;
    }
    this.size = buf.length;
    this.liveBytes = 0;
    for (const [k, v] of live) {
      this.durable.set(k, v);
      this.liveBytes += v.lineBytes;
    }
  }

  private check(): void {
    if (this.closed) throw new StoreClosedError(`file kv ${this.path}`);
    if (this.broken) throw this.broken;
  }
}
