/**
 * In-graph summaries, as `tf.compat.v1.summary.*` build them: one summary op per call, named after
 * the summary's name scope, tagged with that scope (so 'loss' inside name scope 'train' is tagged
 * 'train/loss'), and added to the graph's `summaries` collection, where the default
 * SummarySaverHook of a MonitoredTrainingSession finds them through the Scaffold's merged op.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { GraphKeys } from '../core/collections';
import { ValueError, invalidArgument } from '../core/errors';
import { Graph, Operation, Output, type TensorRef } from '../core/graph';
import { SummaryMetadataSchema } from '../proto/gen/tensorflow/core/framework/summary_pb';
import * as logging from '../core/logging';
import { constant } from './constant';
import { addScopedOp, graphFor, nameScope } from './scope';

export interface SummaryOptions {
  /** Collections the summary goes into; default `['summaries']`. */
  collections?: string[];
  /** A prefix for the tag and the scope, shown as a TensorBoard tab (Python's `family`). */
  family?: string;
}

export interface ImageSummaryOptions extends SummaryOptions {
  /** At most this many images of the batch are written (Python's `max_outputs`, default 3). */
  maxOutputs?: number;
}

// Python's summary_op_util._INVALID_TAG_CHARACTERS: anything but '-', '/', word characters and '.'.
const INVALID_TAG_CHARACTERS = /[^-/\w.]/gu;

/** Python's `clean_tag`: invalid characters become '_', leading slashes go (logged, as Python does). */
function cleanTag(name: string): string {
  const cleaned = name.replace(INVALID_TAG_CHARACTERS, '_').replace(/^\/+/, '');
  if (cleaned !== name) logging.info(`Summary name ${name} is illegal; using ${cleaned} instead.`);
  return cleaned;
}

function checkOptions(opts: unknown, allowed: string[], fn: string): void {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', `an options object for ${fn}`, opts);
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw invalidArgument(`opts.${k}`, `one of ${allowed.join(', ')} (an option of ${fn})`, k);
  }
}

function tensorOf(x: unknown, param: string): Output {
  if (x instanceof Output) return x;
  if (x instanceof Operation) return x.output(0);
  throw invalidArgument(param, 'a tensor (an Output of the graph being built)', x);
}

function collectionsOf(opts: SummaryOptions): string[] {
  const c = opts.collections;
  if (c === undefined) return [GraphKeys.SUMMARIES];
  if (!Array.isArray(c) || c.some((k) => typeof k !== 'string')) throw invalidArgument('collections', 'an array of collection names', c);
  return c;
}

/**
 * Python's `summary_scope`: a name scope named after the (cleaned) name, under `family` when given;
 * `build(tag, opName)` makes the op named after the scope. The op is added to `collections`.
 */
function summaryScope(
  fnName: string,
  name: unknown,
  tensor: Output,
  opts: SummaryOptions,
  build: (tag: string, opName: string) => Output,
): Output {
  if (typeof name !== 'string' || !name) throw invalidArgument('name', `a summary name for ${fnName}`, name);
  const family = opts.family === undefined ? undefined : opts.family;
  if (family !== undefined && typeof family !== 'string') throw invalidArgument('family', 'a string', family);
  const collections = collectionsOf(opts);
  const graph = graphFor([tensor], 'tensor');
  const clean = cleanTag(name);
  const fam = family === undefined ? undefined : cleanTag(family);
  const base = fam === undefined ? clean : `${fam}/${clean}`;
  const out = nameScope(
    base,
    (scope) => {
      const scopeName = scope.replace(/\/$/, '');
      const tag = fam === undefined ? scopeName : `${fam}/${scopeName}`;
      // The op itself takes the scope's own name (Python passes name=scope to the op wrapper).
      return build(tag, scopeName);
    },
    graph,
  );
  for (const key of collections) graph.addToCollection(key, out);
  return out;
}

/** The summary op, named after its scope ('train/loss/' → 'train/loss'), as Python's `name=scope`. */
function opInScope(
  graph: Graph,
  type: string,
  scopeName: string,
  inputs: Array<Output | Output[]>,
  attrs: Record<string, unknown>,
): Output {
  return addScopedOp({ type, name: `${scopeName}/`, inputs, attrs, graph }).output(0);
}

/** `tf.compat.v1.summary.scalar`: a ScalarSummary op of a scalar tensor. */
export function scalar(name: string, tensor: Output, opts: SummaryOptions = {}): Output {
  checkOptions(opts, ['collections', 'family'], 'summary.scalar');
  const t = tensorOf(tensor, 'tensor');
  return summaryScope('summary.scalar', name, t, opts, (tag, opName) => {
    const tags = constant(tag, { dtype: 'string', name: 'tags' });
    return opInScope(t.graph, 'ScalarSummary', opName, [tags, t], { T: t.dtype });
  });
}

/** `tf.compat.v1.summary.histogram`: a HistogramSummary op of a tensor's values. */
export function histogram(name: string, values: Output, opts: SummaryOptions = {}): Output {
  checkOptions(opts, ['collections', 'family'], 'summary.histogram');
  const t = tensorOf(values, 'values');
  return summaryScope('summary.histogram', name, t, opts, (tag, opName) => {
    const tagT = constant(tag, { dtype: 'string', name: 'tag' });
    return opInScope(t.graph, 'HistogramSummary', opName, [tagT, t], { T: t.dtype });
  });
}

function maxOutputsOf(opts: ImageSummaryOptions): number {
  const m = opts.maxOutputs ?? 3;
  if (!Number.isInteger(m) || m < 1) throw invalidArgument('maxOutputs', 'an integer ≥ 1', m);
  return m;
}

/** `tf.compat.v1.summary.image`: an ImageSummary op of a 4-D `[batch, height, width, channels]` tensor. */
export function image(name: string, tensor: Output, opts: ImageSummaryOptions = {}): Output {
  checkOptions(opts, ['collections', 'family', 'maxOutputs'], 'summary.image');
  const t = tensorOf(tensor, 'tensor');
  const maxImages = maxOutputsOf(opts);
  return summaryScope('summary.image', name, t, opts, (tag, opName) => {
    const tagT = constant(tag, { dtype: 'string', name: 'tag' });
    return opInScope(t.graph, 'ImageSummary', opName, [tagT, t], { T: t.dtype, max_images: maxImages });
  });
}

/**
 * `tf.compat.v1.summary.audio`: an AudioSummaryV2 op of a `[batch, frames]` or
 * `[batch, frames, channels]` float tensor in [-1, 1], at `sampleRate` Hz.
 */
export function audio(name: string, tensor: Output, sampleRate: number | Output, opts: ImageSummaryOptions = {}): Output {
  checkOptions(opts, ['collections', 'family', 'maxOutputs'], 'summary.audio');
  const t = tensorOf(tensor, 'tensor');
  if (!(sampleRate instanceof Output) && (typeof sampleRate !== 'number' || !(sampleRate > 0))) {
    throw invalidArgument('sampleRate', 'a sample rate in Hz (a positive number or a float32 scalar tensor)', sampleRate);
  }
  const maxOutputs = maxOutputsOf(opts);
  return summaryScope('summary.audio', name, t, opts, (tag, opName) => {
    const rate = sampleRate instanceof Output ? sampleRate : constant(sampleRate, { dtype: 'float32', name: 'sample_rate' });
    const tagT = constant(tag, { dtype: 'string', name: 'tag' });
    return opInScope(t.graph, 'AudioSummaryV2', opName, [tagT, t, rate], { max_outputs: maxOutputs });
  });
}

/** The text plugin's metadata: SummaryMetadata { plugin_data { plugin_name: 'text' } }. */
const TEXT_METADATA = toBinary(SummaryMetadataSchema, create(SummaryMetadataSchema, { pluginData: { pluginName: 'text' } }));

/** `tf.compat.v1.summary.text`: a TensorSummaryV2 op of a string tensor, for TensorBoard's text tab. */
export function text(name: string, tensor: Output, opts: Omit<SummaryOptions, 'family'> = {}): Output {
  checkOptions(opts, ['collections'], 'summary.text');
  const t = tensorOf(tensor, 'tensor');
  if (t.dtype !== 'string') throw new ValueError(`Expected tensor ${t.name} to have dtype string, got ${t.dtype}`);
  return summaryScope('summary.text', name, t, opts, (tag, opName) => {
    const tagT = constant(tag, { dtype: 'string', name: 'tag' });
    const meta = constant(TEXT_METADATA, { dtype: 'string', name: 'serialized_summary_metadata' });
    return opInScope(t.graph, 'TensorSummaryV2', opName, [tagT, t, meta], { T: t.dtype });
  });
}

export interface MergeOptions {
  /** Collections the merged op goes into (none by default). */
  collections?: string[];
  /** Name scope of the op (default 'Merge'): the op is `<name>/<name>`, or `Merge/MergeSummary`. */
  name?: string;
}

/** `tf.compat.v1.summary.merge`: one MergeSummary op of several serialized summaries. */
export function merge(inputs: Output[], opts: MergeOptions = {}): Output {
  checkOptions(opts, ['collections', 'name'], 'summary.merge');
  if (!Array.isArray(inputs) || inputs.length === 0) throw invalidArgument('inputs', 'a non-empty array of summary tensors', inputs);
  const ts = inputs.map((x, i) => tensorOf(x, `inputs[${i}]`));
  const name = opts.name;
  if (name !== undefined && (typeof name !== 'string' || !name)) throw invalidArgument('name', 'an op name', name);
  const collections = opts.collections ?? [];
  if (!Array.isArray(collections)) throw invalidArgument('collections', 'an array of collection names', collections);
  const graph = graphFor(ts, 'inputs');
  const out = nameScope(name ?? 'Merge', () => addScopedOp({ type: 'MergeSummary', name, inputs: [ts], graph }).output(0), graph);
  for (const key of collections) graph.addToCollection(key, out);
  return out;
}

export interface MergeAllOptions {
  /** The collection to merge (default 'summaries'). */
  key?: string;
  /** Only members whose name matches this regular expression from the start. */
  scope?: string;
  name?: string;
  /** The graph (default: the default graph of `asDefault`). */
  graph?: Graph;
}

/** `tf.compat.v1.summary.merge_all`: merges the collection's summaries, or null when it is empty. */
export function mergeAll(opts: MergeAllOptions = {}): Output | null {
  checkOptions(opts, ['key', 'scope', 'name', 'graph'], 'summary.mergeAll');
  const key = opts.key ?? GraphKeys.SUMMARIES;
  if (typeof key !== 'string') throw invalidArgument('key', 'a collection name', key);
  const graph = opts.graph ?? graphFor([], 'graph');
  if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
  const items = graph.getCollection(key, opts.scope);
  if (!items.length) return null;
  const ts = items.map((x, i) => (typeof x === 'string' ? graph.tensor(x as TensorRef) : tensorOf(x, `${key}[${i}]`)));
  return merge(ts, { name: opts.name });
}
