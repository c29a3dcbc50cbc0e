/**
 * Workflow definitions and their immutable versions, kept in the KvStore:
 * `wf/<id>` holds the header (latest and active version), `wfv/<id>/<version>` one version's
 * Maestro JSON. Compiled versions are cached forever: a version never changes.
 */
import { AlreadyExistsError, NotFoundError, PreconditionError, ValidationError } from '../core/errors.js';
import { completeRequest, parseWorkflowObject, toMaestroJson } from '../core/definition/index.js';
import type { Properties, RunStrategy, WorkflowCreateInput } from '../core/definition/model.js';
import { compileWorkflow, type CompiledWorkflow } from '../core/instance/index.js';
import { inlineRequest } from '../core/instance/inline.js';
import type { InlineSource } from '../core/instance/state.js';
import { formatBytes } from '../core/bytes.js';
import { CasConflictError, getChecked, listChecked, updateKv, type KvStore } from '../store/port.js';

/** Creates that lose the header race this many times in a row fail with the conflict. */
const CREATE_ATTEMPTS = 20;
import { checkHeader, checkVersionRecord, type Header, type VersionRecord } from './kv-schemas.js';
import type { WorkflowSummary, WorkflowVersionInfo } from './engine-api.js';

const headerKey = (id: string) => `wf/${id}`;
const versionKey = (id: string, v: number) => `wfv/${id}/${String(v).padStart(10, '0')}`;

export class DefinitionRegistry {
  /** Promises, so concurrent first uses of a version share one load and compile. */
  private readonly compiled = new Map<string, Promise<CompiledWorkflow>>();

  constructor(private readonly kv: KvStore, private readonly now: () => number) {}

  /**
   * Stores `input` as the next version of its workflow, its properties merged over the latest
   * version's (Maestro's properties snapshot). It becomes active when `input.isActive`; an
   * inactive version leaves the active one as it is (none, for a first version).
   */
  async create(input: WorkflowCreateInput): Promise<WorkflowVersionInfo> {
    const id = input.workflow.id;
    for (let attempt = 0; ; attempt++) {
      const createdAtMs = this.now();
      const cur = await getChecked(this.kv, headerKey(id), checkHeader);
      const live = cur && !cur.value.deleted ? cur.value : undefined;
      const req = completeRequest(input, live ? await this.newestProperties(live) : undefined);
      const version = (cur?.value.latestVersion ?? 0) + 1;
      const rec: VersionRecord = { version, createdAtMs, definitionJson: JSON.stringify(toMaestroJson(req)) };
      this.checkStorable(rec);
      const header: Header = {
        workflowId: id,
        latestVersion: version,
        activeVersion: req.isActive ? version : (live?.activeVersion ?? 0),
        createdAtMs: live?.createdAtMs ?? createdAtMs,
      };
      try {
        await this.kv.put(headerKey(id), header, cur?.revision ?? 0);
      } catch (err) {
        // Another version was created since the read: merge over that one instead.
        if (err instanceof CasConflictError && attempt < CREATE_ATTEMPTS) continue;
        throw err;
      }
      await this.kv.put(versionKey(id, version), rec, 0).catch((e: unknown) => {
        if (e instanceof CasConflictError) throw new AlreadyExistsError(`workflow ${id} version ${version} already exists`);
        throw e;
      });
      return this.info(header, rec);
    }
  }

  /**
   * A version the store cannot hold is refused before anything is written (the header would
   * otherwise name a version whose record never arrives), naming the field and the limit.
   */
  private checkStorable(rec: VersionRecord): void {
    const max = this.kv.maxValueBytes;
    if (max === undefined) return;
    const bytes = Buffer.byteLength(JSON.stringify(rec), 'utf8');
    if (bytes > max) {
      throw new ValidationError(
        'definition',
        `is ${formatBytes(bytes)} as stored; this deployment's store takes at most ${formatBytes(max)} per definition (NATS max_payload of the cluster's JetStream)`,
      );
    }
  }

  /** The properties a new version of `id` merges over: the latest version's, if the workflow exists. */
  async latestProperties(id: string): Promise<Properties | undefined> {
    const h = (await getChecked(this.kv, headerKey(id), checkHeader))?.value;
    return h && !h.deleted ? this.newestProperties(h) : undefined;
  }

  /**
   * The newest stored version's properties. A header can name a version whose record is not
   * written (yet: a create between its two writes, or never: it crashed there); such a version
   * is skipped rather than blocking every later push.
   */
  private async newestProperties(h: Header): Promise<Properties | undefined> {
    for (let v = h.latestVersion; v >= 1; v--) {
      const rec = (await getChecked(this.kv, versionKey(h.workflowId, v), checkVersionRecord))?.value;
      if (rec) return parseWorkflowObject(JSON.parse(rec.definitionJson)).properties;
    }
    return undefined;
  }

  async header(id: string): Promise<Header> {
    const h = (await getChecked(this.kv, headerKey(id), checkHeader))?.value;
    if (!h || h.deleted) throw new NotFoundError(`workflow ${id} not found`);
    return h;
  }

  async get(id: string, version?: number): Promise<WorkflowVersionInfo> {
    const h = await this.header(id);
    // Without a version: the active one, or the latest when none is active (is_active false).
    const v = version && version > 0 ? version : h.activeVersion || h.latestVersion;
    const rec = (await getChecked(this.kv, versionKey(id, v), checkVersionRecord))?.value;
    if (!rec) throw new NotFoundError(`workflow ${id} has no version ${v}`);
    return this.info(h, rec);
  }

  /** The version a start uses: `version` if it exists, else the active one. */
  async resolveVersion(id: string, version?: number): Promise<number> {
    return this.pickVersion(await this.header(id), version);
  }

  private pickVersion(h: Header, version?: number): number {
    const id = h.workflowId;
    if (!version || version <= 0) {
      if (h.activeVersion > 0) return h.activeVersion;
      throw new PreconditionError(
        `workflow ${id} has no active version; activate one (maestro activate ${id} VERSION) or start a version explicitly`,
      );
    }
    if (!Number.isInteger(version) || version > h.latestVersion) {
      throw new NotFoundError(`workflow ${id} has no version ${version}`);
    }
    return version;
  }

  /**
   * The compiled body of a foreach/while step, run as inline workflow `inlineId` (inline.ts).
   * Cached per (root workflow, version, step path): every instance of a loop shares it.
   */
  async compiledInline(inlineId: string, source: InlineSource): Promise<CompiledWorkflow> {
    const key = `${source.workflowId}@${source.version}/${source.path.join('/')}`;
    let hit = this.compiled.get(key);
    if (!hit) {
      hit = this.compiledVersion(source.workflowId, source.version).then((root) => compileWorkflow(inlineRequest(root.request, source, inlineId), source.version));
      this.compiled.set(key, hit);
      hit.catch(() => this.compiled.delete(key));
    }
    return hit;
  }

  /**
   * The version a start uses (as resolveVersion) and the run strategy in force: the latest
   * version's properties (properties are shared by all versions, Maestro's snapshot). One
   * header read; the compiled latest version is cached.
   */
  async resolveStart(id: string, version?: number): Promise<{ version: number; runStrategy: RunStrategy }> {
    const h = await this.header(id);
    const v = this.pickVersion(h, version);
    return { version: v, runStrategy: (await this.compiledVersion(id, h.latestVersion)).request.properties.runStrategy };
  }

  /** The run strategy in force for `id` (the latest version's). */
  async runStrategyOf(id: string): Promise<RunStrategy> {
    const h = await this.header(id);
    return (await this.compiledVersion(id, h.latestVersion)).request.properties.runStrategy;
  }

  /** The compiled definition of a version (cached; versions are immutable). */
  async compiledVersion(id: string, version: number): Promise<CompiledWorkflow> {
    const key = `${id}@${version}`;
    let hit = this.compiled.get(key);
    if (!hit) {
      hit = this.loadCompiled(id, version);
      this.compiled.set(key, hit);
      // A failed load is not cached (the caller awaiting `hit` gets the error); the next call loads again.
      hit.catch(() => this.compiled.delete(key));
    }
    return hit;
  }

  private async loadCompiled(id: string, version: number): Promise<CompiledWorkflow> {
    const rec = (await getChecked(this.kv, versionKey(id, version), checkVersionRecord))?.value;
    if (!rec) throw new NotFoundError(`workflow ${id} has no version ${version}`);
    return compileWorkflow(parseWorkflowObject(JSON.parse(rec.definitionJson)), version);
  }

  async list(): Promise<WorkflowSummary[]> {
    const all = await listChecked(this.kv, 'wf/', checkHeader);
    return all
      .map((e) => e.value)
      .filter((h) => !h.deleted)
      .map((h) => ({ workflowId: h.workflowId, latestVersion: h.latestVersion, activeVersion: h.activeVersion, createdAtMs: h.createdAtMs }));
  }

  async activate(id: string, version: number): Promise<WorkflowVersionInfo> {
    const h = await this.header(id);
    if (!Number.isInteger(version) || version < 1 || version > h.latestVersion) {
      throw new ValidationError('version', `workflow ${id} has versions 1..${h.latestVersion}, not ${version}`);
    }
    await updateKv<Header>(this.kv, headerKey(id), (cur) => ({ ...(cur ?? h), activeVersion: version }), checkHeader);
    return this.get(id, version);
  }

  /** No version is active any more; answers the version that was active (0: none, nothing changed). */
  async deactivate(id: string): Promise<number> {
    const h = await this.header(id);
    if (h.activeVersion === 0) return 0;
    let was = 0;
    await updateKv<Header>(
      this.kv,
      headerKey(id),
      (cur) => {
        was = (cur ?? h).activeVersion;
        return { ...(cur ?? h), activeVersion: 0 };
      },
      checkHeader,
    );
    return was;
  }

  /** Marks the workflow deleted; its instances keep running on their versions. */
  async delete(id: string): Promise<void> {
    await this.header(id);
    await updateKv<Header>(this.kv, headerKey(id), (cur) => ({ ...(cur as Header), deleted: true }), checkHeader);
  }

  private info(h: Header, rec: VersionRecord): WorkflowVersionInfo {
    const definition = parseWorkflowObject(JSON.parse(rec.definitionJson));
    return {
      workflowId: h.workflowId,
      version: rec.version,
      isActive: rec.version === h.activeVersion,
      activeVersion: h.activeVersion,
      createdAtMs: rec.createdAtMs,
      definitionJson: rec.definitionJson,
      definition,
      extraInfo: definition.extraInfo ?? {},
    };
  }
}
