/**
 * The `checkpoint` state file and checkpoint lookup, as Python's `checkpoint_management`. The state
 * file is a text-format `tensorflow.CheckpointState`, byte-identical to Python's, written
 * atomically, with Python's relative-path rules (docs/python-parity.md §7.6, §7.7). Functions that
 * touch the disk return a Promise; each has a blocking `*Sync` twin for callers that cannot await.
 */
import * as io from '../core/file-io';
import { schemeOf } from '../core/tf-filesystem';
import { create } from '@bufbuild/protobuf';
import { CheckpointStateSchema, type CheckpointState } from '../proto/gen/tensorflow/python/training/checkpoint_state_pb';
import { SaverDef_CheckpointFormatVersion } from '../proto/gen/tensorflow/core/protobuf/saver_pb';
import { parseText, printText, TextFormatError } from '../proto/text-format';
import { DataLossError, RuntimeError, ValueError, invalidArgument } from '../core/errors';
import * as logging from '../core/logging';
import {
  atomicWriteFile,
  atomicWriteFileSync,
  ioError,
  matchingFiles,
  matchingFilesSync,
  pyIsAbs,
  pyJoin,
  pyRelpath,
} from '../core/file-paths';

export type { CheckpointState };
export { SaverDef_CheckpointFormatVersion as CheckpointFormatVersion };

/** Default name of the state file in a checkpoint directory. */
export const DEFAULT_LATEST_FILENAME = 'checkpoint';

// A NUL would be cut by TF and rejected by Node's fs: files in one place, bookkeeping in another.
function checkString(param: string, v: unknown): string {
  if (typeof v !== 'string') throw invalidArgument(param, 'a path string', v);
  if (v.includes('\0')) throw invalidArgument(param, 'a path without NUL characters', v);
  return v;
}

function stateFilename(saveDir: string, latestFilename?: string | null): string {
  if (latestFilename != null) checkString('latestFilename', latestFilename);
  return pyJoin(saveDir, latestFilename ?? DEFAULT_LATEST_FILENAME);
}

/**
 * Python's `generate_checkpoint_state_proto`: appends `modelCheckpointPath` to the list when it is
 * not its last entry (INFO log), and makes relative entries relative to a relative `saveDir`.
 */
export function generateCheckpointStateProto(
  saveDir: string,
  modelCheckpointPath: string,
  allModelCheckpointPaths: readonly string[] | null = null,
  allModelCheckpointTimestamps: readonly number[] | null = null,
  lastPreservedTimestamp: number | null = null,
): CheckpointState {
  checkString('saveDir', saveDir);
  checkString('modelCheckpointPath', modelCheckpointPath);
  const all = [...(allModelCheckpointPaths ?? [])];
  if (!all.length || all[all.length - 1] !== modelCheckpointPath) {
    logging.info(`${modelCheckpointPath} is not in all_model_checkpoint_paths. Manually adding it.`);
    all.push(modelCheckpointPath);
  }
  if (allModelCheckpointTimestamps?.length && allModelCheckpointTimestamps.length !== all.length) {
    throw new ValueError(
      `Checkpoint timestamps, if provided, must match checkpoint paths (got paths [${all.map((p) => `'${p}'`).join(', ')}] ` +
        `and timestamps [${allModelCheckpointTimestamps.join(', ')}])`,
    );
  }
  let model = modelCheckpointPath;
  if (!pyIsAbs(saveDir)) {
    if (!pyIsAbs(model)) model = pyRelpath(model, saveDir);
    for (let i = 0; i < all.length; i++) if (!pyIsAbs(all[i])) all[i] = pyRelpath(all[i], saveDir);
  }
  const state = create(CheckpointStateSchema, {
    modelCheckpointPath: model,
    allModelCheckpointPaths: all,
    allModelCheckpointTimestamps: [...(allModelCheckpointTimestamps ?? [])],
  });
  if (lastPreservedTimestamp !== null && lastPreservedTimestamp !== undefined) state.lastPreservedTimestamp = lastPreservedTimestamp;
  return state;
}

export interface UpdateCheckpointStateOptions {
  /** Paths of all not-yet-deleted checkpoints, oldest first; the last must be the model path. */
  allModelCheckpointPaths?: readonly string[] | null;
  /** Name of the state file in `saveDir`. Default 'checkpoint'. */
  latestFilename?: string | null;
  allModelCheckpointTimestamps?: readonly number[] | null;
  lastPreservedTimestamp?: number | null;
  /** Store absolute paths relative to `saveDir` too (the Saver's `saveRelativePaths`). */
  saveRelativePaths?: boolean;
}

function prepareState(saveDir: string, modelCheckpointPath: string, opts: UpdateCheckpointStateOptions): { file: string; text: string } {
  checkString('saveDir', saveDir);
  checkString('modelCheckpointPath', modelCheckpointPath);
  const file = stateFilename(saveDir, opts.latestFilename);
  let model = modelCheckpointPath;
  let all = opts.allModelCheckpointPaths ?? [];
  if (opts.saveRelativePaths) {
    if (pyIsAbs(model)) model = pyRelpath(model, saveDir);
    all = all.map((p) => (pyIsAbs(p) ? pyRelpath(p, saveDir) : p));
  }
  const state = generateCheckpointStateProto(
    saveDir,
    model,
    all,
    opts.allModelCheckpointTimestamps ?? null,
    opts.lastPreservedTimestamp ?? null,
  );
  if (file === state.modelCheckpointPath) {
    throw new RuntimeError(
      `Save path '${modelCheckpointPath}' conflicts with path used for checkpoint state.  Please use a different save path.`,
    );
  }
  return { file, text: printText(CheckpointStateSchema, state) };
}

/**
 * Writes the state file `<saveDir>/<latestFilename>` atomically (Python's
 * `update_checkpoint_state_internal`). Failures are TF-typed errors naming the file.
 */
export async function updateCheckpointState(
  saveDir: string,
  modelCheckpointPath: string,
  opts: UpdateCheckpointStateOptions = {},
): Promise<void> {
  const { file, text } = prepareState(saveDir, modelCheckpointPath, opts);
  await atomicWriteFile(file, text);
}

/** Sync {@link updateCheckpointState}. */
export function updateCheckpointStateSync(saveDir: string, modelCheckpointPath: string, opts: UpdateCheckpointStateOptions = {}): void {
  const { file, text } = prepareState(saveDir, modelCheckpointPath, opts);
  atomicWriteFileSync(file, text);
}

// Parses the file's text as Python's get_checkpoint_state does after reading it.
/** How {@link getCheckpointState} treats a state file that exists but cannot be read or parsed. */
export interface ReadStateOptions {
  /**
   * Throw (DataLossError for a parse error, the I/O error otherwise) instead of Python's WARN and
   * null. The chief's restore uses it: a fresh start would overwrite the damaged file and stop
   * tracking the checkpoints it listed. Default false (Python's behaviour).
   */
  strict?: boolean;
}

const STRICT_ADVICE =
  'A fresh start would overwrite it and stop tracking the checkpoints it lists: repair it, or move it away to start from scratch.';

function stateFromText(checkpointDir: string, file: string, text: string, strict = false): CheckpointState | null {
  let state: CheckpointState;
  try {
    state = parseText(CheckpointStateSchema, text, { file });
  } catch (e) {
    if (!(e instanceof TextFormatError)) throw e;
    if (strict)
      throw new DataLossError(`The checkpoint state file ${file} cannot be parsed (${e.line}:${e.column}: ${e.reason}). ${STRICT_ADVICE}`);
    logging.warning(`ParseError: ${e.line}:${e.column} : ${e.reason}`);
    logging.warning(`${file}: Checkpoint ignored`);
    return null;
  }
  if (!state.modelCheckpointPath) throw new ValueError(`Invalid checkpoint state loaded from ${checkpointDir}`);
  // A path with a scheme is complete (Python's os.path.isabs says no and would join it on).
  const complete = (p: string) => pyIsAbs(p) || schemeOf(p) !== null;
  if (!complete(state.modelCheckpointPath)) state.modelCheckpointPath = pyJoin(checkpointDir, state.modelCheckpointPath);
  state.allModelCheckpointPaths = state.allModelCheckpointPaths.map((p) => (complete(p) ? p : pyJoin(checkpointDir, p)));
  return state;
}

function unreadable(file: string, err: unknown, strict = false): null {
  const e = ioError(err, file);
  if (strict) {
    e.message = `The checkpoint state file ${file} cannot be read (${e.message}). ${STRICT_ADVICE}`;
    throw e;
  }
  logging.warning(`${e.name}: ${e.message}`);
  logging.warning(`${file}: Checkpoint ignored`);
  return null;
}

/**
 * The `CheckpointState` of a directory, with relative paths joined onto `checkpointDir`; null when
 * there is no state file, or it cannot be read or parsed (both logged as WARN, as Python does).
 * Throws `ValueError("Invalid checkpoint state loaded from <dir>")` when the file parses but names
 * no model checkpoint path.
 */
export async function getCheckpointState(
  checkpointDir: string,
  latestFilename?: string | null,
  opts: ReadStateOptions = {},
): Promise<CheckpointState | null> {
  checkString('checkpointDir', checkpointDir);
  io.usesTfFilesystem(checkpointDir, 'checkpointDir');
  const file = stateFilename(checkpointDir, latestFilename);
  let text: string;
  try {
    text = await io.readText(file);
  } catch (e) {
    // A missing file (or a missing/non-directory parent) means "no state", silently.
    return io.isNotFound(e) ? null : unreadable(file, e, opts.strict);
  }
  return stateFromText(checkpointDir, file, text, opts.strict);
}

/** Sync {@link getCheckpointState}. */
export function getCheckpointStateSync(checkpointDir: string, latestFilename?: string | null): CheckpointState | null {
  checkString('checkpointDir', checkpointDir);
  io.usesTfFilesystem(checkpointDir, 'checkpointDir');
  const file = stateFilename(checkpointDir, latestFilename);
  let text: string;
  try {
    text = io.readTextSync(file);
  } catch (e) {
    return io.isNotFound(e) ? null : unreadable(file, e);
  }
  return stateFromText(checkpointDir, file, text);
}

/**
 * The newest checkpoint prefix named by the directory's state file, when its files exist
 * (`<prefix>.index`, or `<prefix>` for V1); else null (ERROR log "Couldn't match files for
 * checkpoint <prefix>" when the state names a checkpoint that is gone).
 *
 * @example
 *   const prefix = await latestCheckpoint('runs/a');        // 'runs/a/model.ckpt-100' or null
 *   const state = await getCheckpointState('runs/a');       // CheckpointState message or null
 */
export async function latestCheckpoint(checkpointDir: string, latestFilename?: string | null): Promise<string | null> {
  const state = await getCheckpointState(checkpointDir, latestFilename);
  if (!state?.modelCheckpointPath) return null;
  if (await checkpointExists(state.modelCheckpointPath)) return state.modelCheckpointPath;
  logging.error(`Couldn't match files for checkpoint ${state.modelCheckpointPath}`);
  return null;
}

/** Sync {@link latestCheckpoint}. */
export function latestCheckpointSync(checkpointDir: string, latestFilename?: string | null): string | null {
  const state = getCheckpointStateSync(checkpointDir, latestFilename);
  if (!state?.modelCheckpointPath) return null;
  if (checkpointExistsSync(state.modelCheckpointPath)) return state.modelCheckpointPath;
  logging.error(`Couldn't match files for checkpoint ${state.modelCheckpointPath}`);
  return null;
}

/**
 * Whether a V2 (`<prefix>.index`) or V1 (`<prefix>`) checkpoint exists for the prefix; glob
 * patterns are matched as TF does.
 */
export async function checkpointExists(checkpointPrefix: string): Promise<boolean> {
  checkString('checkpointPrefix', checkpointPrefix);
  return (await matchingFiles(`${checkpointPrefix}.index`)).length > 0 || (await matchingFiles(checkpointPrefix)).length > 0;
}

/** Sync {@link checkpointExists}. */
export function checkpointExistsSync(checkpointPrefix: string): boolean {
  checkString('checkpointPrefix', checkpointPrefix);
  return matchingFilesSync(`${checkpointPrefix}.index`).length > 0 || matchingFilesSync(checkpointPrefix).length > 0;
}

async function mtimeSeconds(file: string): Promise<number> {
  let st;
  try {
    st = io.stat(file);
  } catch (e) {
    throw ioError(e, file);
  }
  if (!st) throw ioError(Object.assign(new Error('not found'), { code: 'ENOENT' }), file);
  return Number(st.mtimeNs) / 1e9;
}

/**
 * Modification times (seconds since the epoch, fractional) of the checkpoints that exist, V2 index
 * first, then V1. Missing checkpoints are skipped, so the result can be shorter than the input.
 */
export async function getCheckpointMtimes(checkpointPrefixes: readonly string[]): Promise<number[]> {
  if (!Array.isArray(checkpointPrefixes))
    throw invalidArgument('checkpointPrefixes', 'an array of checkpoint prefixes', checkpointPrefixes);
  const out: number[] = [];
  for (const prefix of checkpointPrefixes) {
    checkString('checkpointPrefixes[]', prefix);
    let files = await matchingFiles(`${prefix}.index`);
    if (!files.length) files = await matchingFiles(prefix);
    if (files.length) out.push(await mtimeSeconds(files[0]));
  }
  return out;
}

/**
 * Python's `meta_graph_filename`: `<checkpoint>.<suffix>`, after removing a trailing
 * `-?????-of-NNNNN` shard spec.
 */
export function metaGraphFilename(checkpointFilename: string, metaGraphSuffix = 'meta'): string {
  return `${checkpointFilename.replace(/-[\d?]+-of-\d+$/, '')}.${metaGraphSuffix}`;
}

async function deleteMatching(pattern: string): Promise<void> {
  for (const file of await matchingFiles(pattern)) {
    try {
      await io.unlink(file);
    } catch (e) {
      if (io.isNotFound(e)) {
        logging.warning(
          `Hit NotFoundError when deleting '${file}', possibly because another process/thread is also deleting/moving the same file`,
        );
      } else {
        throw ioError(e, file);
      }
    }
  }
}

/**
 * Deletes a checkpoint's files: `<prefix>.<metaGraphSuffix>`, then for V2 `<prefix>.index` and
 * `<prefix>.data-?????-of-?????` (for V1 the file `<prefix>`). Missing files are fine.
 */
export async function removeCheckpoint(
  checkpointPrefix: string,
  checkpointFormatVersion: SaverDef_CheckpointFormatVersion = SaverDef_CheckpointFormatVersion.V2,
  metaGraphSuffix = 'meta',
): Promise<void> {
  checkString('checkpointPrefix', checkpointPrefix);
  await deleteMatching(metaGraphFilename(checkpointPrefix, metaGraphSuffix));
  if (checkpointFormatVersion === SaverDef_CheckpointFormatVersion.V2) {
    await deleteMatching(`${checkpointPrefix}.index`);
    await deleteMatching(`${checkpointPrefix}.data-?????-of-?????`);
  } else {
    await deleteMatching(checkpointPrefix);
  }
}
