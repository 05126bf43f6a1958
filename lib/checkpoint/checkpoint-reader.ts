/**
 * Reading checkpoints without a graph: `CheckpointReader` over TF's own reader (V2 bundles and V1
 * files), and Python's `tf.train.load_checkpoint` / `list_variables` / `load_variable`. A path is
 * a checkpoint prefix (`runs/a/model.ckpt-100`) or a directory, which means the latest checkpoint
 * named by its `checkpoint` state file.
 */
import * as io from '../core/file-io';
import { Tensor } from '../core/tensor';
import { dtypeFromEnum, type DType } from '../core/dtypes';
import { ClosedError, DataLossError, OutOfRangeError, TFError, ValueError, errorForCode, invalidArgument } from '../core/errors';
import { checkPath } from '../core/options';
import { native, type NativeCheckpointReader } from '../native';
import { latestCheckpointSync } from './checkpoint-state';

export interface CheckpointVariable {
  /** The checkpoint key (the variable's name, e.g. 'dense/kernel'). */
  name: string;
  dtype: DType;
  shape: number[];
}

/**
 * An open checkpoint. Opening reads the index only; `getTensor` reads one tensor's data.
 * Failures are TF's typed errors naming the file: NotFoundError (no such checkpoint, or no such
 * key), DataLossError (a corrupt or truncated file), ...
 *
 * @example
 *   listVariables('runs/a');   // [{ name: 'b', dtype: 'float32', shape: [] }, { name: 'w', ... shape: [3, 2] }]
 *   loadVariable('runs/a', 'w').data;        // Float32Array
 *   using reader = new CheckpointReader('runs/a/model.ckpt-100');
 *   reader.getTensor('w');
 */
export class CheckpointReader {
  readonly prefix: string;
  private handle: NativeCheckpointReader | null;
  private entries: CheckpointVariable[] | null = null;

  constructor(prefix: string) {
    if (typeof prefix !== 'string' || prefix === '') throw invalidArgument('prefix', 'a checkpoint prefix string', prefix);
    checkPath(prefix, 'prefix'); // TF would read at the path cut at a NUL
    this.prefix = prefix;
    try {
      this.handle = new (native().NativeCheckpointReader)(prefix);
    } catch (e) {
      throw checkpointError(e, prefix, `${prefix}.index`);
    }
  }

  private live(): NativeCheckpointReader {
    if (!this.handle) throw new ClosedError(`CheckpointReader(${this.prefix})`);
    return this.handle;
  }

  /** Every tensor in the checkpoint, sorted by name. */
  variables(): CheckpointVariable[] {
    if (!this.entries) {
      this.entries = this.live()
        .variables()
        .map((v) => ({ name: v.name, dtype: dtypeFromEnum(v.dtype), shape: v.shape }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    return this.entries.map((v) => ({ ...v, shape: [...v.shape] }));
  }

  /** Python's `get_variable_to_shape_map()`. */
  getVariableToShapeMap(): Record<string, number[]> {
    return Object.fromEntries(this.variables().map((v) => [v.name, v.shape]));
  }

  /** Python's `get_variable_to_dtype_map()` (dtype names). */
  getVariableToDtypeMap(): Record<string, DType> {
    return Object.fromEntries(this.variables().map((v) => [v.name, v.dtype]));
  }

  hasTensor(name: string): boolean {
    return this.variables().some((v) => v.name === name);
  }

  /** The tensor stored under `name`; NotFoundError "Key <name> not found in checkpoint" when absent. */
  getTensor(name: string): Tensor {
    if (typeof name !== 'string') throw invalidArgument('name', 'a checkpoint key string', name);
    try {
      return Tensor.fromRaw(this.live().tensor(name));
    } catch (e) {
      throw checkpointError(e, this.prefix);
    }
  }

  /** Frees TF's reader. Idempotent. */
  close(): void {
    this.handle?.close();
    this.handle = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A TF error about a checkpoint's files, made to name them: TF's own message for a damaged index
 * ("not an sstable (bad magic number)") or a short data file ("Read less bytes than requested") does
 * not say which checkpoint. The class is kept, except that a short read becomes DataLossError: it
 * means a truncated file, not the end of an input (OutOfRangeError ends training in a monitored
 * session). The original error is the `cause`.
 */
export function checkpointError(err: unknown, prefix: string, file?: string): unknown {
  if (!(err instanceof TFError) || err.message.includes(prefix)) return err;
  const nl = err.message.indexOf('\n');
  const first = nl < 0 ? err.message : err.message.slice(0, nl);
  const rest = nl < 0 ? '' : err.message.slice(nl);
  const e =
    err instanceof OutOfRangeError
      ? new DataLossError(
          `${first}: a data file of checkpoint ${prefix} (${prefix}.data-?????-of-?????) is shorter than its index says${rest}`,
        )
      : errorForCode(err.code, `${first} (checkpoint ${prefix}${file ? `, file ${file}` : ''})${rest}`);
  Object.defineProperty(e, 'cause', { value: err, enumerable: false, writable: true, configurable: true });
  return e;
}

function isDirectory(p: string): boolean {
  try {
    return io.stat(p)?.isDirectory ?? false;
  } catch (e) {
    if (e instanceof io.UnsupportedFileSystemError) throw e;
    return false;
  }
}

/** The checkpoint prefix for a prefix or a directory (its latest checkpoint). */
export function checkpointFilename(ckptDirOrFile: string): string {
  if (typeof ckptDirOrFile !== 'string') throw invalidArgument('ckptDirOrFile', 'a checkpoint prefix or directory', ckptDirOrFile);
  if (isDirectory(ckptDirOrFile)) {
    const latest = latestCheckpointSync(ckptDirOrFile);
    if (latest === null) throw new ValueError(`Couldn't find 'checkpoint' file or checkpoints in given directory ${ckptDirOrFile}`);
    return latest;
  }
  return ckptDirOrFile;
}

/** Python's `tf.train.load_checkpoint`: a reader for a prefix or a directory's latest checkpoint. */
export function loadCheckpoint(ckptDirOrFile: string): CheckpointReader {
  return new CheckpointReader(checkpointFilename(ckptDirOrFile));
}

/**
 * Python's `tf.train.list_variables`: every variable of the checkpoint, sorted by name. (Python
 * gives `(name, shape)` tuples; here each entry also has the dtype.)
 */
export function listVariables(ckptDirOrFile: string): CheckpointVariable[] {
  const reader = loadCheckpoint(ckptDirOrFile);
  try {
    return reader.variables();
  } finally {
    reader.close();
  }
}

/** Python's `tf.train.load_variable`: the value of one variable (a trailing ':0' is ignored). */
export function loadVariable(ckptDirOrFile: string, name: string): Tensor {
  if (typeof name !== 'string') throw invalidArgument('name', 'a variable name', name);
  const key = name.endsWith(':0') ? name.slice(0, -2) : name;
  const reader = loadCheckpoint(ckptDirOrFile);
  try {
    return reader.getTensor(key);
  } finally {
    reader.close();
  }
}
