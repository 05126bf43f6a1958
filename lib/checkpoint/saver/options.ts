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
import type { SaveOptions, SaverOptions } from '../saver';
import type { MetaGraphOptions } from './meta-graph';

export const SAVER_OPTION_NAMES = [
  'graph', 'varList', 'reshape', 'sharded', 'maxToKeep', 'keepCheckpointEveryNHours', 'name',
  'restoreSequentially', 'saverDef', 'deferBuild', 'allowEmpty', 'writeVersion', 'padStepNumber',
  'saveRelativePaths', 'filename', 'now',
] as const satisfies Array<keyof SaverOptions>;

export const SAVE_OPTION_NAMES = [
  'globalStep', 'latestFilename', 'metaGraphSuffix', 'writeMetaGraph', 'writeState', 'stripDefaultAttrs',
] as const satisfies Array<keyof SaveOptions>;

export const EXPORT_META_GRAPH_OPTION_NAMES = [
  'stripDefaultAttrs', 'graph',
] as const satisfies Array<keyof (MetaGraphOptions & { graph?: unknown })>;

/** `Saver.fromGraph`'s options: the constructor's, but the graph, SaverDef and var list are its own. */
export const FROM_GRAPH_OPTION_NAMES = SAVER_OPTION_NAMES.filter((n) => n !== 'graph' && n !== 'saverDef' && n !== 'varList');

export const FROM_PROTO_OPTION_NAMES = ['importScope', 'graph'] as const;

/** The Saver constructor's option types (the checks the constructor itself does are not repeated). */
export function checkSaverOptions(opts: SaverOptions): void {
  for (const b of ['reshape', 'sharded', 'restoreSequentially', 'deferBuild', 'allowEmpty', 'padStepNumber', 'saveRelativePaths'] as const) {
    checkBoolean(opts[b], b, { optional: true });
  }
  if (opts.name != null && typeof opts.name !== 'string') throw invalidArgument('name', 'a name scope string or null', opts.name);
  if (opts.filename != null) checkPath(opts.filename, 'filename');
  if (opts.now !== undefined && typeof opts.now !== 'function') throw invalidArgument('now', 'a function returning seconds since the epoch', opts.now);
  if (opts.keepCheckpointEveryNHours !== undefined) checkNumber(opts.keepCheckpointEveryNHours, 'keepCheckpointEveryNHours', { min: 'positive' });
  const vl = opts.varList;
  if (vl != null && (typeof vl !== 'object' || (!Array.isArray(vl) && !(vl instanceof Map) && Object.getPrototypeOf(vl) !== Object.prototype && Object.getPrototypeOf(vl) !== null))) {
    throw invalidArgument('varList', 'an array of variables, or an object or Map from checkpoint key to variable', vl);
  }
}

/** SaverDef bytes: bytes that do not parse are an ArgumentError naming `saverDef`. */
export function decodeSaverDefBytes(bytes: Uint8Array): SaverDef {
  try {
    return decodeBinary(SaverDefSchema, bytes);
  } catch (e) {
    const reason = e instanceof ProtoDecodeError ? e.reason : (e as Error)?.message ?? String(e);
    const err = new ArgumentError('saverDef', `Expected a serialized tensorflow.SaverDef for saverDef but the bytes do not parse: ${reason}`);
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
