/**
 * `Saver`: TF1's `tf.compat.v1.train.Saver` (docs/python-parity.md §7). Checkpoints are written and
 * read by TF's own ops (SaveV2 / RestoreV2 / MergeV2Checkpoints) through the graph's SaverDef: the
 * one given, or one built exactly as Python's saver builder builds it. The state file, `maxToKeep`
 * and `keepCheckpointEveryNHours` are handled here. Differences: docs/differences-from-python.md#checkpoints.
 */
import { clone, isMessage } from '@bufbuild/protobuf';
import { SaverDefSchema, SaverDef_CheckpointFormatVersion, type SaverDef } from '../proto/gen/tensorflow/core/protobuf/saver_pb';
import {
  ArgumentError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  RuntimeError,
  type TFError,
  ValueError,
  errorForCode,
  invalidArgument,
} from '../core/errors';
import { Graph, Operation, Output } from '../core/graph';
import { printText } from '../proto/text-format';
import { messageFromPlain } from '../core/plain-message';
import * as logging from '../core/logging';
import { checkpointExists, getCheckpointMtimes, metaGraphFilename, removeCheckpoint, updateCheckpointState } from './checkpoint-state';
import { CheckpointReader, checkpointError } from './checkpoint-reader';
import { findVariables, resolveVariable, type GraphVariable, type VariableRef } from '../core/variables';
import { buildSaverDef, sliceSpecOf, validateSaveables, type Saveable } from './saver/builder';
import { hasPathComponents, isDirectory, pyBasename, pyDirname } from '../core/file-paths';
import { writeMetaGraph, type MetaGraphOptions } from './saver/meta-graph';
import {
  EXPORT_META_GRAPH_OPTION_NAMES,
  FROM_GRAPH_OPTION_NAMES,
  FROM_PROTO_OPTION_NAMES,
  SAVE_OPTION_NAMES,
  SAVER_OPTION_NAMES,
  checkSaveOptions,
  checkSaverOptions,
  decodeSaverDefBytes,
} from './saver/options';
import { prefixFiles, removePartialSave } from './saver/partial-save';
import { markForDeletion, unmark } from './saver/debris';
import { moveIntoPlace, tempPrefix } from './saver/temp-prefix';
import { checkBoolean, checkOptionsObject, checkPath } from '../core/options';

import type { SaveOptions, SaverOptions, SaverSession, VarList } from './saver/options';

export type { SaveOptions, SaverOptions, SaverSession, VarList };

const utf8 = new TextDecoder();

function prependNameScope(name: string, scope: string): string {
  return name.replace(/^(\^|loc:@|)(.*)$/s, (_m, p: string, rest: string) => `${p}${scope}/${rest}`);
}

function stripNameScope(name: string, scope: string): string {
  const s = scope.endsWith('/') ? scope.slice(0, -1) : scope;
  return name.replace(new RegExp(`^(\\^|loc:@)?${s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/`), (_m, p?: string) => p ?? '');
}

function toSaverDef(v: NonNullable<SaverOptions['saverDef']>): SaverDef {
  if (v instanceof Uint8Array) return decodeSaverDefBytes(v);
  if (isMessage(v, SaverDefSchema)) return clone(SaverDefSchema, v);
  if (typeof v === 'object') return messageFromPlain(SaverDefSchema, v as Record<string, unknown>, 'saverDef');
  throw invalidArgument('saverDef', 'a SaverDef (message, plain object or bytes)', v);
}

function fetchedString(value: unknown): string {
  const v = value as { scalar?: () => unknown; data?: ArrayLike<unknown> } | null;
  if (v && typeof v.scalar === 'function') return String(v.scalar());
  const first = v?.data?.[0];
  if (first instanceof Uint8Array) return utf8.decode(first);
  if (typeof first === 'string') return first;
  throw new RuntimeError(`The save tensor did not return a string (got ${String(value)}).`);
}

function fetchedInteger(value: unknown, what: string): bigint {
  const v = value as { scalar?: () => unknown; data?: ArrayLike<unknown> } | null;
  const x = v && typeof v.scalar === 'function' ? v.scalar() : v?.data?.[0];
  if (typeof x === 'bigint') return x;
  if (typeof x === 'number' && Number.isInteger(x)) return BigInt(x);
  throw new InvalidArgumentError(`${what} is not an integer scalar (got ${String(x)}).`);
}

function sameDims(graphShape: number[] | null, ckptShape: number[]): boolean {
  if (graphShape === null) return true;
  return graphShape.length === ckptShape.length && graphShape.every((d, i) => d < 0 || d === ckptShape[i]);
}

function fmtShape(s: number[] | null): string {
  return s === null ? '<unknown>' : `[${s.map((d) => (d < 0 ? '?' : String(d))).join(',')}]`;
}

/** Python's `_wrap_restore_error_with_msg`: same class and code, Python's text, original as `cause`. */
function wrapRestoreError(err: TFError, verbiage: string): TFError {
  const e = errorForCode(
    err.code,
    `Restoring from checkpoint failed. This is most likely due to ${verbiage} from the checkpoint. ` +
      `Please ensure that you have not altered the graph expected based on the checkpoint. Original error:\n\n${err.message}`,
  );
  Object.defineProperty(e, 'cause', { value: err, enumerable: false, writable: true, configurable: true });
  return e;
}

const MISSING_KEY = 'a Variable name or other graph key that is missing';
const MISMATCH = 'a mismatch between the current graph and the graph';

/**
 * Saves and restores a graph's variables.
 *
 * @example
 *   const saver = new Saver({ graph, maxToKeep: 3 });
 *   const prefix = await saver.save(session, 'runs/a/model.ckpt', { globalStep: 100 });
 *   // 'runs/a/model.ckpt-100'; files model.ckpt-100.index, .data-00000-of-00001, .meta, checkpoint
 *   await saver.restore(session, await latestCheckpoint('runs/a'));
 */
export class Saver {
  /** The SaverDef in use: null until built (deferBuild) and for an empty saver. */
  saverDef: SaverDef | null = null;
  readonly graph: Graph | null;
  private readonly opts: SaverOptions;
  private varList: VarList | null;
  private readonly now: () => number;
  private built = false;
  private empty = false;
  /** Saveables this Saver built its ops for (for the restore pre-check); null when given a SaverDef. */
  private saveables: Saveable[] | null = null;
  private lastCheckpointsWithTime: Array<[string, number]> = [];
  private toBeDeleted: Array<[string, number]> = [];
  private nextCheckpointTime = 0;
  private saving: Promise<unknown> = Promise.resolve();

  constructor(opts: SaverOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
    checkOptionsObject(opts, 'opts', SAVER_OPTION_NAMES, 'Saver');
    checkSaverOptions(opts);
    this.opts = opts;
    this.now = opts.now ?? (() => Date.now() / 1000);
    if (opts.graph != null && !(opts.graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', opts.graph);
    if (opts.maxToKeep != null && !(Number.isInteger(opts.maxToKeep) && opts.maxToKeep >= 0)) {
      throw invalidArgument('maxToKeep', 'a non-negative integer or null', opts.maxToKeep);
    }
    const wv = opts.writeVersion ?? SaverDef_CheckpointFormatVersion.V2;
    if (wv !== 'V2' && wv !== SaverDef_CheckpointFormatVersion.V2) {
      throw new ArgumentError(
        'writeVersion',
        `Expected 'V2' for writeVersion but received ${String(wv)}: only the V2 checkpoint format is supported.`,
      );
    }
    this.varList = opts.varList ?? null;
    if (opts.deferBuild && opts.varList) {
      throw new ValueError('If `var_list` is provided then build cannot be deferred. Either set defer_build=False or var_list=None.');
    }
    this.graph = opts.graph ?? graphOfVarList(this.varList);
    if (opts.saverDef != null) this.saverDef = toSaverDef(opts.saverDef);
    if (!opts.deferBuild) this.build();
    if (this.saverDef) checkSaverDef(this.saverDef);
  }

  /**
   * The Saver of a graph that carries one: its `saverDef` (set by `Graph.load` of a MetaGraphDef) or
   * the single SaverDef in its `savers` collection; null when it has none.
   */
  static fromGraph(graph: Graph, opts: Omit<SaverOptions, 'graph' | 'saverDef' | 'varList'> = {}): Saver | null {
    if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
    checkOptionsObject(opts, 'opts', FROM_GRAPH_OPTION_NAMES, 'Saver.fromGraph');
    const own = graph.saverDef;
    if (own) return new Saver({ ...opts, graph, saverDef: own });
    const savers = graph.getCollection('savers').filter((s) => isMessage(s, SaverDefSchema) || s instanceof Saver);
    if (savers.length > 1) {
      throw new RuntimeError('More than one item in collection savers. Please indicate which one to use by passing it to the constructor.');
    }
    if (!savers.length) return null;
    const s = savers[0];
    return s instanceof Saver ? s : new Saver({ ...opts, graph, saverDef: s as SaverDef });
  }

  /** Python's `Saver.from_proto`: a Saver over an existing SaverDef, its names under `importScope`. */
  static fromProto(
    saverDef: SaverDef | Record<string, unknown> | Uint8Array,
    opts: { importScope?: string | null; graph?: Graph | null } = {},
  ): Saver {
    checkOptionsObject(opts, 'opts', FROM_PROTO_OPTION_NAMES, 'Saver.fromProto');
    return new Saver({ saverDef, name: opts.importScope ?? null, graph: opts.graph ?? null });
  }

  /** Builds the save/restore ops (once). Needed only with `deferBuild`. */
  build(): void {
    if (this.built) return;
    this.built = true;
    const opts = this.opts;
    if (!this.saverDef) {
      const graph = this.graph;
      if (!graph) throw new ArgumentError('graph', 'A Saver needs a graph to build its ops in: pass { graph }.');
      const saveables = this.collectSaveables(graph);
      if (!saveables.length) {
        if (opts.allowEmpty) {
          this.empty = true;
          return;
        }
        throw new ValueError('No variables to save');
      }
      this.saveables = saveables;
      this.saverDef = buildSaverDef(graph, saveables, {
        sharded: !!opts.sharded,
        maxToKeep: opts.maxToKeep ?? (opts.maxToKeep === null ? 0 : 5),
        keepCheckpointEveryNHours: opts.keepCheckpointEveryNHours ?? 10000,
        name: opts.name,
        filename: opts.filename,
        reshape: !!opts.reshape,
      });
    } else if (opts.name) {
      this.saverDef.filenameTensorName = prependNameScope(this.saverDef.filenameTensorName, opts.name);
      this.saverDef.saveTensorName = prependNameScope(this.saverDef.saveTensorName, opts.name);
      this.saverDef.restoreOpName = prependNameScope(this.saverDef.restoreOpName, opts.name);
    }
    checkSaverDef(this.saverDef);
    this.nextCheckpointTime = this.now() + this.saverDef.keepCheckpointEveryNHours * 3600;
  }

  private collectSaveables(graph: Graph): Saveable[] {
    const list: Saveable[] = [];
    const add = (name: string, v: GraphVariable, sliceSpec: string) => list.push({ name, variable: v, sliceSpec });
    const vl = this.varList;
    if (vl === null || Array.isArray(vl)) {
      const vars = vl === null ? findVariables(graph) : (vl as VariableRef[]).map((r, i) => resolveVariable(graph, r, `varList[${i}]`));
      // Python sorts Variables by `.name` ('w:0' for ref and resource variables alike).
      const sorted = [...vars].sort((a, b) => {
        const an = `${a.op.name}:0`;
        const bn = `${b.op.name}:0`;
        return an < bn ? -1 : an > bn ? 1 : 0;
      });
      const names = new Map<string, 'whole' | 'sliced'>();
      for (const v of sorted) {
        if (v.saveSliceInfo) {
          const full = v.saveSliceInfo.fullName;
          if (names.get(full) === 'whole') throw new ValueError(`Mixing slices and non-slices with the same name: ${full}`);
          names.set(full, 'sliced');
          add(full, v, sliceSpecOf(v));
        } else {
          if (names.has(v.name)) throw new ValueError(`At least two variables have the same name: ${v.name}`);
          names.set(v.name, 'whole');
          add(v.name, v, '');
        }
      }
    } else {
      const entries = vl instanceof Map ? [...vl.entries()] : Object.entries(vl as Record<string, VariableRef | VariableRef[]>);
      for (const [key, value] of entries) {
        if (typeof key !== 'string') throw invalidArgument('varList', 'string checkpoint keys', key);
        if (Array.isArray(value)) {
          let sliceName: string | null = null;
          value.forEach((r, i) => {
            const v = resolveVariable(graph, r as VariableRef, `varList['${key}'][${i}]`);
            if (!v.saveSliceInfo) throw new ValueError(`Slices must all be slices: ${v.name}`);
            sliceName ??= v.saveSliceInfo.fullName;
            if (v.saveSliceInfo.fullName !== sliceName) {
              throw new ValueError(`Slices must all be from the same tensor: ${sliceName} != ${v.saveSliceInfo.fullName}`);
            }
            add(key, v, sliceSpecOf(v));
          });
        } else {
          const v = resolveVariable(graph, value as VariableRef, `varList['${key}']`);
          add(key, v, v.saveSliceInfo ? sliceSpecOf(v) : '');
        }
      }
    }
    return validateSaveables(list);
  }

  /** Paths of the checkpoints not yet deleted, oldest first. */
  get lastCheckpoints(): string[] {
    return this.lastCheckpointsWithTime.map(([p]) => p);
  }

  /**
   * Replaces the list of checkpoints (deprecated in Python for `setLastCheckpointsWithTime`). Their
   * times are +inf, as in Python: when they drop out of the list they stay on disk for good.
   */
  setLastCheckpoints(paths: readonly string[]): void {
    if (!Array.isArray(paths)) throw invalidArgument('paths', 'an array of checkpoint paths', paths);
    paths.forEach((p, i) => checkPath(p, `paths[${i}]`));
    this.lastCheckpointsWithTime = paths.map((p) => [p, Infinity]);
  }

  setLastCheckpointsWithTime(list: ReadonlyArray<readonly [string, number]>): void {
    if (!Array.isArray(list)) throw invalidArgument('list', 'an array of [path, seconds] pairs', list);
    this.lastCheckpointsWithTime = list.map(([p, t]) => [p, t]);
  }

  /**
   * After a restart: takes the checkpoints of a previous run (e.g. the state's
   * `allModelCheckpointPaths`) that still exist, with their files' mtimes as their times.
   */
  async recoverLastCheckpoints(checkpointPaths: readonly string[]): Promise<void> {
    if (!Array.isArray(checkpointPaths)) throw invalidArgument('checkpointPaths', 'an array of checkpoint paths', checkpointPaths);
    checkpointPaths.forEach((p, i) => checkPath(p, `checkpointPaths[${i}]`));
    const out: Array<[string, number]> = [];
    for (const p of checkpointPaths) {
      let mtimes: number[];
      try {
        mtimes = await getCheckpointMtimes([p]);
      } catch (e) {
        if (e instanceof NotFoundError) continue; // deleted meanwhile by someone else
        throw e;
      }
      if (mtimes.length) out.push([p, mtimes[0]]);
    }
    this.lastCheckpointsWithTime = out;
  }

  /** Python's `as_saver_def()`. */
  asSaverDef(): SaverDef | null {
    return this.saverDef;
  }

  /** The SaverDef with `exportScope` removed from its names; null when they are outside it. */
  toProto(exportScope?: string | null): SaverDef | null {
    if (!this.saverDef || !exportScope) return this.saverDef;
    const d = this.saverDef;
    if (
      !(d.filenameTensorName.startsWith(exportScope) && d.saveTensorName.startsWith(exportScope) && d.restoreOpName.startsWith(exportScope))
    )
      return null;
    const out = clone(SaverDefSchema, d);
    out.filenameTensorName = stripNameScope(out.filenameTensorName, exportScope);
    out.saveTensorName = stripNameScope(out.saveTensorName, exportScope);
    out.restoreOpName = stripNameScope(out.restoreOpName, exportScope);
    return out;
  }

  /**
   * Saves the variables; returns the checkpoint prefix (null for an empty saver). In order: runs
   * the save op, writing under `<prefix>.tmp<hex>` and renaming the files into place (`.index`
   * last: see saver/temp-prefix.ts), then (writeMetaGraph) writes `<prefix>.meta` atomically, then
   * (writeState) records the checkpoint, rewrites the state file atomically and deletes at most one
   * old checkpoint. Python writes the `.meta` last and lets TF rewrite an existing prefix in place;
   * here the state file names a checkpoint only once all its files are written, and no write
   * truncates a file the state file names. When the save op or the `.meta` write fails, what this
   * save wrote is removed, the state file is untouched, and the error is a TF-typed error naming
   * the file.
   */
  save(session: SaverSession, savePath: string, opts: SaveOptions = {}): Promise<string | null> {
    const run = this.saving.then(() => this.saveNow(session, savePath, opts));
    this.saving = run.catch(() => {});
    return run;
  }

  private async saveNow(session: SaverSession, savePath: string, opts: SaveOptions): Promise<string | null> {
    if (!this.built) throw new RuntimeError('`build()` should be called before save if defer_build==True');
    if (!session || typeof session.run !== 'function') throw invalidArgument('session', 'a Session', session);
    if (typeof savePath !== 'string' || savePath === '') throw invalidArgument('savePath', 'a checkpoint path string', savePath);
    checkPath(savePath, 'savePath');
    opts = checkOptionsObject<SaveOptions>(opts, 'opts', SAVE_OPTION_NAMES, 'Saver.save');
    const { latestFilename, metaGraphSuffix } = checkSaveOptions(opts);
    if (hasPathComponents(latestFilename)) throw new ValueError("'latest_filename' must not contain path components");
    const writeMeta = opts.writeMetaGraph ?? true;
    const metaGraph = writeMeta ? (session.graph instanceof Graph ? session.graph : this.graph) : null;
    if (writeMeta && !metaGraph)
      throw new ValueError('Cannot write the meta graph: neither the session nor the Saver has a Graph (pass writeMetaGraph: false).');

    let checkpointFile = savePath;
    if (opts.globalStep !== undefined && opts.globalStep !== null) {
      const step = await this.globalStepValue(session, opts.globalStep);
      checkpointFile = `${savePath}-${this.opts.padStepNumber ? step.toString().padStart(8, '0') : step.toString()}`;
    } else if (pyBasename(savePath) === latestFilename && !this.opts.sharded) {
      throw new ValueError(`'latest_filename' collides with 'save_path': '${latestFilename}' and '${savePath}'`);
    }

    const saveDir = pyDirname(savePath);
    const parentMissing = async (e: unknown): Promise<unknown> => {
      if ((e instanceof FailedPreconditionError || e instanceof NotFoundError) && !(await isDirectory(saveDir || '.'))) {
        const ve = new ValueError(`Parent directory of ${savePath} doesn't exist, can't save.`);
        Object.defineProperty(ve, 'cause', { value: e, enumerable: false, writable: true, configurable: true });
        return ve;
      }
      return e;
    };

    let modelCheckpointPath: string | null = null;
    const before = this.empty ? null : await prefixFiles(checkpointFile);
    if (!this.empty) {
      const def = this.saverDef!;
      // V2: written elsewhere, renamed into place (saver/temp-prefix.ts). V1 files are written as TF names them.
      const v2 = def.version === SaverDef_CheckpointFormatVersion.V2;
      const target = v2 ? tempPrefix(checkpointFile) : checkpointFile;
      try {
        const written = fetchedString(await session.run(def.saveTensorName, { [def.filenameTensorName]: target }));
        if (v2) await moveIntoPlace(target, checkpointFile);
        modelCheckpointPath = v2 ? checkpointFile : written;
      } catch (e) {
        if (v2) await removePartialSave(target, new Set());
        await removePartialSave(checkpointFile, before!);
        throw await parentMissing(e);
      }
    }

    if (metaGraph) {
      try {
        await this.exportMetaGraph(metaGraphFilename(checkpointFile, metaGraphSuffix), {
          graph: metaGraph,
          stripDefaultAttrs: opts.stripDefaultAttrs,
        });
      } catch (e) {
        if (before) await removePartialSave(checkpointFile, before);
        throw e;
      }
    }

    if (!this.empty && (opts.writeState ?? true)) {
      try {
        this.recordLastCheckpoint(modelCheckpointPath!);
        const doomed = await this.markNextDeletion(latestFilename, metaGraphSuffix);
        try {
          await updateCheckpointState(saveDir, modelCheckpointPath!, {
            allModelCheckpointPaths: this.lastCheckpoints,
            latestFilename,
            saveRelativePaths: !!this.opts.saveRelativePaths,
          });
        } catch (e) {
          if (doomed) {
            this.toBeDeleted.unshift(doomed);
            await unmark(doomed[0]);
          }
          throw e;
        }
        if (doomed) await this.deleteCheckpoint(doomed[0], metaGraphSuffix);
      } catch (e) {
        throw await parentMissing(e);
      }
    }
    return this.empty ? null : modelCheckpointPath;
  }

  private async globalStepValue(session: SaverSession, gs: NonNullable<SaveOptions['globalStep']>): Promise<bigint> {
    if (typeof gs === 'bigint') return gs;
    if (typeof gs === 'number') {
      if (!Number.isInteger(gs)) throw invalidArgument('globalStep', 'an integer, or a tensor/variable holding one', gs);
      return BigInt(gs);
    }
    const graph = session.graph instanceof Graph ? session.graph : this.graph;
    let fetch: string;
    if (typeof gs === 'string' && /:\d+$/.test(gs)) {
      fetch = gs;
    } else if (graph && (typeof gs === 'string' || gs instanceof Operation || gs instanceof Output)) {
      // A variable (its op name, its op, its handle): read it the way the saver does.
      const op = typeof gs === 'string' ? graph.tryOperation(gs) : gs instanceof Output ? gs.op : gs;
      if (op && op.type === 'VarHandleOp') {
        const v = resolveVariable(graph, op, 'globalStep');
        if (!v.readTensor)
          throw new ArgumentError('globalStep', `Resource variable '${v.name}' has no read op; pass its read tensor as globalStep.`);
        fetch = v.readTensor;
      } else {
        fetch = gs instanceof Output ? gs.name : `${typeof gs === 'string' ? gs : gs.name}:0`;
      }
    } else if (typeof gs === 'string') {
      fetch = `${gs}:0`;
    } else {
      throw invalidArgument('globalStep', 'an integer, a tensor name, an Output or an Operation', gs);
    }
    return fetchedInteger(await session.run(fetch), `globalStep (${fetch})`);
  }

  private recordLastCheckpoint(path: string): void {
    const max = this.saverDef!.maxToKeep;
    if (!max) return;
    this.lastCheckpointsWithTime = this.lastCheckpointsWithTime.filter(([p]) => p !== path);
    this.lastCheckpointsWithTime.push([path, this.now()]);
    if (this.lastCheckpointsWithTime.length > max) this.toBeDeleted.push(this.lastCheckpointsWithTime.shift()!);
  }

  // One deletion per save, as Python: the oldest pending checkpoint, unless it is the one to keep
  // for keepCheckpointEveryNHours. It is marked before the state file drops it (saver/debris.ts): a
  // kill between that write and the deletion would otherwise leave it on disk, named by nothing.
  private async markNextDeletion(latestFilename: string, metaGraphSuffix: string): Promise<[string, number] | null> {
    const p = this.toBeDeleted.shift();
    if (!p) return null;
    if (p[1] > this.nextCheckpointTime) {
      this.nextCheckpointTime += this.saverDef!.keepCheckpointEveryNHours * 3600;
      return null;
    }
    try {
      await markForDeletion(p[0], { latestFilename, metaGraphSuffix });
    } catch (e) {
      this.toBeDeleted.unshift(p);
      throw e;
    }
    return p;
  }

  private async deleteCheckpoint(prefix: string, metaGraphSuffix: string): Promise<void> {
    try {
      await removeCheckpoint(prefix, this.saverDef!.version, metaGraphSuffix);
      await unmark(prefix);
    } catch (e) {
      logging.warning(`Ignoring: ${(e as Error).message}`);
    }
  }

  /**
   * Restores the variables from the checkpoint at `savePath` (a prefix, e.g. from `save` or
   * `latestCheckpoint`). Errors as Python's: ValueError for a null path or a path that is not a
   * checkpoint; NotFoundError / InvalidArgumentError "Restoring from checkpoint failed. ..." when the
   * graph and the checkpoint do not match (original error as `cause`); TF's errors (DataLossError,
   * ...) for damaged files, naming the file.
   */
  async restore(session: SaverSession, savePath: string | null | undefined): Promise<void> {
    if (this.empty) return;
    if (!this.built) throw new RuntimeError('`build()` should be called before restore if defer_build==True');
    if (savePath === null || savePath === undefined) throw new ValueError("Can't load save_path when it is None.");
    if (typeof savePath !== 'string') throw invalidArgument('savePath', 'a checkpoint path string', savePath);
    checkPath(savePath, 'savePath', { allowEmpty: true });
    if (!session || typeof session.run !== 'function') throw invalidArgument('session', 'a Session', session);
    if (!(await checkpointExists(savePath))) throw new ValueError(`The passed save_path is not a valid checkpoint: ${savePath}`);
    logging.info(`Restoring parameters from ${savePath}`);
    const checked = this.saveables !== null;
    if (checked) this.checkAgainstCheckpoint(savePath, this.saveables!);
    const def = this.saverDef!;
    try {
      await session.run(def.restoreOpName, { [def.filenameTensorName]: savePath });
    } catch (e) {
      // After the check every key is known to be there: a NotFoundError is a missing file, which
      // TF's message names; Python's "missing variable" wording would mislead.
      if (e instanceof NotFoundError) throw checked ? checkpointError(e, savePath) : wrapRestoreError(e, MISSING_KEY);
      if (e instanceof InvalidArgumentError) throw wrapRestoreError(e, MISMATCH);
      throw checkpointError(e, savePath);
    }
  }

  // Reads the checkpoint's index (not its data) and compares keys, dtypes and shapes.
  private checkAgainstCheckpoint(savePath: string, saveables: readonly Saveable[]): void {
    const reader = new CheckpointReader(savePath);
    let entries: Map<string, { dtype: string; shape: number[] }>;
    try {
      entries = new Map(reader.variables().map((v) => [v.name, v]));
    } finally {
      reader.close();
    }
    const missing = saveables.filter((s) => !entries.has(s.name)).map((s) => s.name);
    if (missing.length) {
      const more = missing.length > 1 ? ` (also missing: ${missing.slice(1).join(', ')})` : '';
      throw wrapRestoreError(new NotFoundError(`Key ${missing[0]} not found in checkpoint ${savePath}${more}`), MISSING_KEY);
    }
    for (const s of saveables) {
      const entry = entries.get(s.name)!;
      const v = s.variable;
      if (entry.dtype !== v.dtype) {
        throw wrapRestoreError(
          new InvalidArgumentError(
            `tensor_name = ${s.name}; expected dtype ${v.dtype} does not equal original dtype ${entry.dtype} (checkpoint ${savePath}, variable '${v.name}')`,
          ),
          MISMATCH,
        );
      }
      if (this.opts.reshape) continue;
      const expected = s.sliceSpec ? v.saveSliceInfo!.fullShape : v.shape;
      if (!sameDims(expected, entry.shape)) {
        throw wrapRestoreError(
          new InvalidArgumentError(
            `tensor_name = ${s.name}; the variable '${v.name}' has ${s.sliceSpec ? 'full shape' : 'shape'} ${fmtShape(expected)} but the checkpoint ${savePath} has shape ${fmtShape(entry.shape)}`,
          ),
          MISMATCH,
        );
      }
    }
  }

  /** Writes the graph with this saver's SaverDef as a binary MetaGraphDef (`<prefix>.meta`). */
  async exportMetaGraph(filename: string, opts: MetaGraphOptions & { graph?: Graph } = {}): Promise<void> {
    checkPath(filename, 'filename');
    opts = checkOptionsObject<MetaGraphOptions & { graph?: Graph }>(opts, 'opts', EXPORT_META_GRAPH_OPTION_NAMES, 'Saver.exportMetaGraph');
    if (opts.graph != null && !(opts.graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', opts.graph);
    checkBoolean(opts.stripDefaultAttrs, 'stripDefaultAttrs', { optional: true });
    const graph = opts.graph ?? this.graph;
    if (!graph) throw new ArgumentError('graph', 'exportMetaGraph needs a graph: the Saver has none, pass { graph }.');
    await writeMetaGraph(filename, graph, this.saverDef, { stripDefaultAttrs: opts.stripDefaultAttrs });
  }
}

function checkSaverDef(d: SaverDef): void {
  if (!d.saveTensorName) throw new ValueError(`saver_def must specify the save_tensor_name: ${printText(SaverDefSchema, d)}`);
  if (!d.restoreOpName) throw new ValueError(`saver_def must specify the restore_op_name: ${printText(SaverDefSchema, d)}`);
}

function graphOfVarList(vl: VarList | null): Graph | null {
  if (!vl) return null;
  const values = Array.isArray(vl) ? vl : vl instanceof Map ? [...vl.values()] : Object.values(vl);
  for (const v of values.flat()) if (v instanceof Operation || v instanceof Output) return v.graph;
  return null;
}
