/**
 * Argument checks of the Saver's options objects, done before anything touches TF or the disk:
 * unknown option names (a typo'd `global_step` would otherwise save without a step suffix), the
 * types of the options, and NUL characters in paths (TF cuts a path at the NUL and writes
 * elsewhere than the state file then records).
 */
import type { SaverDef } from '../../proto/gen/tensorflow/core/protobuf/saver_pb';
import { SaverDefSchema } from '../../proto/gen/tensorflow/core/protobuf/saver_pb';
import { ProtoDecodeError, decodeBinary } from '../../proto/binary';
import { ArgumentError, invalidArgument } from '../../core/errors';
import { checkBoolean, checkNumber, checkPath } from '../../core/options';
import type { Graph, Operation, Output } from '../../core/graph';
import type { VariableRef } from '../../core/variables';
import type { SaverDef_CheckpointFormatVersion } from '../../proto/gen/tensorflow/core/protobuf/saver_pb';
import type { MetaGraphOptions } from './meta-graph';

/** What a Saver needs of a session: Python's `sess.run`, and the graph for the `.meta` file. */
export interface SaverSession {
  run(fetches: unknown, feeds?: unknown): Promise<unknown>;
  readonly graph?: unknown;
}

/**
 * Variables to save: a list (keys are the variables' op names) or a map from checkpoint key to a
 * variable (or to the partitions of one partitioned variable).
 */
export type VarList =
  | readonly VariableRef[]
  | Readonly<Record<string, VariableRef | readonly VariableRef[]>>
  | ReadonlyMap<string, VariableRef | readonly VariableRef[]>;

export interface SaverOptions {
  /** The graph to build in. Needed unless `varList` holds Operations/Outputs or `saverDef` is given. */
  graph?: Graph | null;
  /** Default (undefined/null): every variable of the graph (see variables.ts). */
  varList?: VarList | null;
  /** Restore values of another shape with the same number of elements. Default false. */
  reshape?: boolean;
  /** One checkpoint shard per device. Default false. */
  sharded?: boolean;
  /** Checkpoints to keep; null or 0 keeps all (and the state file lists only the newest). Default 5. */
  maxToKeep?: number | null;
  /** Additionally keep one checkpoint every N hours. Default 10000. */
  keepCheckpointEveryNHours?: number;
  /** Name scope of the saver's ops. Default 'save' (made unique). With `saverDef`: its import scope. */
  name?: string | null;
  /** Accepted for parity; the bulk restore is sequential anyway (as Python's). */
  restoreSequentially?: boolean;
  /** Use this SaverDef (message, plain object, or serialized bytes) instead of building ops. */
  saverDef?: SaverDef | Record<string, unknown> | Uint8Array | null;
  /** Build the ops on the first `build()` call instead of now. Not with `varList`. */
  deferBuild?: boolean;
  /** No variables is not an error: the saver is empty, `save` returns null, `restore` does nothing. */
  allowEmpty?: boolean;
  /** Only 'V2' (2) can be built. */
  writeVersion?: 'V2' | SaverDef_CheckpointFormatVersion;
  /** `<path>-00000100` instead of `<path>-100`. Default false. */
  padStepNumber?: boolean;
  /** Store paths in the state file relative to its directory. Default false. */
  saveRelativePaths?: boolean;
  /** Default value of the filename tensor. Default 'model'. */
  filename?: string | null;
  /** Clock in seconds since the epoch (for tests and simulations). Default: the system clock. */
  now?: () => number;
}

export interface SaveOptions {
  /** Appended to the path: `<savePath>-<step>`. A number, or a tensor/variable to read it from. */
  globalStep?: number | bigint | string | Output | Operation | null;
  /** Name of the state file in the checkpoint's directory. Default 'checkpoint'. */
  latestFilename?: string | null;
  /** Default 'meta'. */
  metaGraphSuffix?: string;
  /** Default true. */
  writeMetaGraph?: boolean;
  /** Update the state file and delete old checkpoints. Default true. */
  writeState?: boolean;
  /** Default false. */
  stripDefaultAttrs?: boolean;
}

export const SAVER_OPTION_NAMES = [
  'graph',
  'varList',
  'reshape',
  'sharded',
  'maxToKeep',
  'keepCheckpointEveryNHours',
  'name',
  'restoreSequentially',
  'saverDef',
  'deferBuild',
  'allowEmpty',
  'writeVersion',
  'padStepNumber',
  'saveRelativePaths',
  'filename',
  'now',
] as const satisfies Array<keyof SaverOptions>;

export const SAVE_OPTION_NAMES = [
  'globalStep',
  'latestFilename',
  'metaGraphSuffix',
  'writeMetaGraph',
  'writeState',
  'stripDefaultAttrs',
] as const satisfies Array<keyof SaveOptions>;

export const EXPORT_META_GRAPH_OPTION_NAMES = ['stripDefaultAttrs', 'graph'] as const satisfies Array<
  keyof (MetaGraphOptions & { graph?: unknown })
>;

/** `Saver.fromGraph`'s options: the constructor's, but the graph, SaverDef and var list are its own. */
export const FROM_GRAPH_OPTION_NAMES = SAVER_OPTION_NAMES.filter((n) => n !== 'graph' && n !== 'saverDef' && n !== 'varList');

export const FROM_PROTO_OPTION_NAMES = ['importScope', 'graph'] as const;

/** The Saver constructor's option types (the checks the constructor itself does are not repeated). */
export function checkSaverOptions(opts: SaverOptions): void {
  for (const b of [
    'reshape',
    'sharded',
    'restoreSequentially',
    'deferBuild',
    'allowEmpty',
    'padStepNumber',
    'saveRelativePaths',
  ] as const) {
    checkBoolean(opts[b], b, { optional: true });
  }
  if (opts.name != null && typeof opts.name !== 'string') throw invalidArgument('name', 'a name scope string or null', opts.name);
  if (opts.filename != null) checkPath(opts.filename, 'filename');
  if (opts.now !== undefined && typeof opts.now !== 'function')
    throw invalidArgument('now', 'a function returning seconds since the epoch', opts.now);
  if (opts.keepCheckpointEveryNHours !== undefined)
    checkNumber(opts.keepCheckpointEveryNHours, 'keepCheckpointEveryNHours', { min: 'positive' });
  const vl = opts.varList;
  if (
    vl != null &&
    (typeof vl !== 'object' ||
      (!Array.isArray(vl) && !(vl instanceof Map) && Object.getPrototypeOf(vl) !== Object.prototype && Object.getPrototypeOf(vl) !== null))
  ) {
    throw invalidArgument('varList', 'an array of variables, or an object or Map from checkpoint key to variable', vl);
  }
}

/** SaverDef bytes: bytes that do not parse are an ArgumentError naming `saverDef`. */
export function decodeSaverDefBytes(bytes: Uint8Array): SaverDef {
  try {
    return decodeBinary(SaverDefSchema, bytes);
  } catch (e) {
    const reason = e instanceof ProtoDecodeError ? e.reason : ((e as Error)?.message ?? String(e));
    const err = new ArgumentError(
      'saverDef',
      `Expected a serialized tensorflow.SaverDef for saverDef but the bytes do not parse: ${reason}`,
    );
    Object.defineProperty(err, 'cause', { value: e, enumerable: false, writable: true, configurable: true });
    throw err;
  }
}

/** `Saver.save`'s options, resolved; every path-like value checked. */
export function checkSaveOptions(opts: SaveOptions): { latestFilename: string; metaGraphSuffix: string } {
  const latestFilename = opts.latestFilename ?? 'checkpoint';
  if (typeof latestFilename !== 'string') throw invalidArgument('latestFilename', 'a file name', latestFilename);
  checkPath(latestFilename, 'latestFilename');
  const metaGraphSuffix = opts.metaGraphSuffix ?? 'meta';
  if (typeof metaGraphSuffix !== 'string' || metaGraphSuffix === '' || metaGraphSuffix.includes('/') || metaGraphSuffix.includes('\0')) {
    throw invalidArgument('metaGraphSuffix', 'a non-empty file name suffix (no "/" or NUL)', opts.metaGraphSuffix);
  }
  for (const b of ['writeMetaGraph', 'writeState', 'stripDefaultAttrs'] as const) checkBoolean(opts[b], b, { optional: true });
  return { latestFilename, metaGraphSuffix };
}
