/**
 * Batches for training: named arrays (in memory, or an `.npz`'s) cut along their first axis,
 * in a seeded shuffled order per epoch (numpy's RandomState permutation, lib/data/mt19937.ts), or
 * records (one example each, from an iterable or async iterable) stacked into batches.
 * Each batch is a `{ name: Tensor }` object, ready for feedFromBatches or Session.run's feeds.
 */
import { ArgumentError, invalidArgument } from '../core/errors';
import { Tensor, type TensorLike } from '../core/tensor';
import { ARRAY_TYPES, lanes, type TypedArray } from '../core/dtypes';
import { MT19937 } from './mt19937';
import { readNpz } from './npz';

/** One batch (or one example): a tensor per name. */
export type Batch = Record<string, Tensor>;
/** One example of a record source: a value per name (Tensors, numbers, nested arrays, ...). */
export type Example = Record<string, TensorLike>;
/** Records: an iterable or async iterable of examples, or a function giving a fresh one per epoch. */
export type RecordSource = AsyncIterable<Example> | Iterable<Example> | (() => AsyncIterable<Example> | Iterable<Example>);
/** Named arrays (batched over their first axis), an `.npz` path, or records. */
export type BatchSource = Record<string, TensorLike> | string | RecordSource;

export interface BatchOptions {
  /** Examples per batch (the last batch of an epoch may be smaller, see dropRemainder). */
  batchSize: number;
  /** Passes over the data; default 1. `Infinity` repeats forever. */
  epochs?: number;
  /**
   * Shuffle seed, an integer in [0, 2^32): epoch e's order is the e-th `permutation(n)` of
   * `np.random.RandomState(seed)`. Arrays only. Without it the order is the arrays' own.
   */
  seed?: number;
  /** Shuffle with a random seed when no `seed` is given. Arrays only. */
  shuffle?: boolean;
  /** Leave out each epoch's last batch when it is smaller than batchSize (default false). */
  dropRemainder?: boolean;
  /** For named arrays or an `.npz`: only these arrays (default all). */
  keys?: string[];
}

const OPTION_NAMES = new Set(['batchSize', 'epochs', 'seed', 'shuffle', 'dropRemainder', 'keys']);

interface Checked {
  batchSize: number;
  epochs: number;
  seed: number | null;
  dropRemainder: boolean;
  keys: string[] | null;
}

function checkOptions(opts: BatchOptions): Checked {
  if (opts === null || typeof opts !== 'object')
    throw invalidArgument('options', 'an object { batchSize, epochs?, seed?, shuffle?, dropRemainder?, keys? }', opts);
  for (const k of Object.keys(opts))
    if (!OPTION_NAMES.has(k)) throw invalidArgument(`options.${k}`, `one of the options ${[...OPTION_NAMES].join(', ')}`, k);
  const { batchSize, epochs = 1, seed, shuffle, dropRemainder = false, keys } = opts;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw invalidArgument('batchSize', 'a positive integer', batchSize);
  if (!(epochs === Infinity || (Number.isSafeInteger(epochs) && epochs >= 0)))
    throw invalidArgument('epochs', 'a non-negative integer or Infinity', epochs);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff))
    throw invalidArgument('seed', 'an integer in [0, 2**32)', seed);
  if (shuffle !== undefined && typeof shuffle !== 'boolean') throw invalidArgument('shuffle', 'a boolean', shuffle);
  if (shuffle === false && seed !== undefined)
    throw new ArgumentError('shuffle', 'shuffle: false contradicts a seed (the seed is for shuffling)');
  if (typeof dropRemainder !== 'boolean') throw invalidArgument('dropRemainder', 'a boolean', dropRemainder);
  if (keys !== undefined && (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string'))) {
    throw invalidArgument('keys', 'a non-empty array of array names', keys);
  }
  const effectiveSeed = seed ?? (shuffle ? Math.floor(Math.random() * 2 ** 32) : null);
  return { batchSize, epochs, seed: effectiveSeed, dropRemainder, keys: keys ?? null };
}

function isRecordSource(x: unknown): x is RecordSource {
  if (typeof x === 'function') return true;
  return x !== null && typeof x === 'object' && (Symbol.asyncIterator in x || Symbol.iterator in x);
}

/**
 * Batches from `source`, as an async iterator of `{ name: Tensor }`:
 * - named arrays `{ images, labels }` (Tensors or anything `Tensor.from` takes) or an `.npz` path:
 *   cut along the first axis, which must have the same length in every array; shuffled per epoch
 *   when `seed` (or `shuffle`) is given;
 * - records (one example per item, from an iterable, an async iterable, or a function returning a
 *   fresh one per epoch): each name's values stacked along a new first axis, in order.
 * Options are checked at once; the arrays (and the file) when iteration starts.
 * @example
 * const d = await readNpz('examples/digits/digits.npz');
 * for await (const b of batches({ images: d.train_images, labels: d.train_labels }, { batchSize: 32, epochs: 2, seed: 1 })) ...
 */
export function batches(source: BatchSource, opts: BatchOptions): AsyncGenerator<Batch, void, undefined> {
  const o = checkOptions(opts);
  if (typeof source === 'string') return arrayBatches(readNpz(source), o, source);
  if (isRecordSource(source)) {
    if (o.seed !== null)
      throw new ArgumentError('seed', 'Shuffling (seed/shuffle) is for named arrays; records are batched in the order they come');
    if (o.keys !== null) throw new ArgumentError('keys', 'keys selects named arrays; records are batched with all their names');
    // An iterator that is its own iterable (a generator) is used up after one pass.
    if (typeof source !== 'function' && o.epochs > 1 && (iteratorOf(source) as unknown) === source) {
      throw new ArgumentError(
        'epochs',
        `epochs: ${o.epochs} needs the records again, but the source is a one-pass iterator (a generator): pass a function returning a fresh one per epoch`,
      );
    }
    return recordBatches(source, o);
  }
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    throw invalidArgument('source', 'named arrays { name: array }, an .npz path, or an (async) iterable of examples', source);
  }
  return arrayBatches(Promise.resolve(source), o, 'arrays');
}

async function* arrayBatches(
  pending: Promise<Record<string, TensorLike>>,
  o: Checked,
  what: string,
): AsyncGenerator<Batch, void, undefined> {
  const all = await pending;
  const names = o.keys ?? Object.keys(all);
  if (names.length === 0) throw new ArgumentError('source', `${what} has no arrays to batch`);
  const tensors: Record<string, Tensor> = {};
  for (const name of names) {
    if (!Object.hasOwn(all, name)) {
      throw new ArgumentError(
        'keys',
        `${what} has no array '${name}' (it has ${
          Object.keys(all)
            .map((k) => `'${k}'`)
            .join(', ') || 'none'
        })`,
      );
    }
    const t = Tensor.from(all[name], undefined, `${what}.${name}`);
    if (t.shape.length === 0)
      throw new ArgumentError(`${what}.${name}`, `${what}.${name} is a scalar: batching needs a first axis to cut along`);
    if (t.dtype !== 'string' && !ARRAY_TYPES[t.dtype])
      throw invalidArgument(`${what}.${name}`, 'a numeric, bool or string array', `a ${t.dtype} tensor`);
    tensors[name] = t;
  }
  const n = tensors[names[0]].shape[0];
  const other = names.find((k) => tensors[k].shape[0] !== n);
  if (other !== undefined) {
    throw new ArgumentError(
      what,
      `The arrays of ${what} differ in first-axis length: ${names.map((k) => `${k} has ${tensors[k].shape[0]}`).join(', ')}`,
    );
  }
  const rng = o.seed === null ? null : new MT19937(o.seed);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = rng ? rng.permutation(n) : null;
    let yielded = false;
    for (let start = 0; start < n; start += o.batchSize) {
      const size = Math.min(o.batchSize, n - start);
      if (size < o.batchSize && o.dropRemainder) break;
      const batch: Batch = {};
      for (const name of names) batch[name] = rows(tensors[name], start, size, order);
      yielded = true;
      yield batch;
    }
    if (!yielded) return; // no data, or less than one batch with dropRemainder: repeating gives nothing
  }
}

/** Rows start..start+size of `t` along its first axis, or rows order[start..] when shuffled. */
function rows(t: Tensor, start: number, size: number, order: Uint32Array | null): Tensor {
  const shape = [size, ...t.shape.slice(1)];
  const perRow = t.shape.slice(1).reduce((a, b) => a * b, 1);
  if (t.dtype === 'string') {
    const bytes = t.bytes;
    const data: Uint8Array[] = [];
    for (let i = 0; i < size; i++) {
      const r = order ? order[start + i] : start + i;
      for (let k = 0; k < perRow; k++) data.push(bytes[r * perRow + k]);
    }
    return Tensor.from({ dtype: 'string', shape, data });
  }
  const src = t.data as TypedArray;
  const width = perRow * lanes(t.dtype);
  // In order, a batch is a view of the array's memory (no copy); shuffled, its rows are gathered.
  if (!order) return Tensor.from({ dtype: t.dtype, shape, data: src.subarray(start * width, (start + size) * width) as TypedArray });
  const Ctor = ARRAY_TYPES[t.dtype]!;
  const out = new Ctor(size * width);
  if (width === 1) {
    for (let i = 0; i < size; i++) (out as Float64Array)[i] = (src as Float64Array)[order[start + i]];
  } else {
    for (let i = 0; i < size; i++) {
      const r = order[start + i];
      (out as Float64Array).set((src as Float64Array).subarray(r * width, (r + 1) * width), i * width);
    }
  }
  return Tensor.from({ dtype: t.dtype, shape, data: out });
}

function iteratorOf(source: AsyncIterable<Example> | Iterable<Example>): AsyncIterator<Example> | Iterator<Example> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<Example>)[Symbol.asyncIterator]();
  if (Symbol.iterator in source) return (source as Iterable<Example>)[Symbol.iterator]();
  throw invalidArgument('source', 'an iterable or async iterable of examples', source);
}

async function* recordBatches(source: RecordSource, o: Checked): AsyncGenerator<Batch, void, undefined> {
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const it = iteratorOf(typeof source === 'function' ? source() : source);
    let pending: Example[] = [];
    let index = 0;
    let yielded = false;
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      pending.push(r.value);
      index++;
      if (pending.length === o.batchSize) {
        yield stack(pending, index - pending.length);
        yielded = true;
        pending = [];
      }
    }
    if (pending.length > 0 && !o.dropRemainder) {
      yield stack(pending, index - pending.length);
      yielded = true;
    }
    if (!yielded) return;
  }
}

/** Examples stacked along a new first axis; every example must have the same names, dtypes and shapes. */
function stack(examples: Example[], firstIndex: number): Batch {
  const first = examples[0];
  if (first === null || typeof first !== 'object' || Array.isArray(first)) {
    throw invalidArgument(`records[${firstIndex}]`, 'an example { name: value }', first);
  }
  const names = Object.keys(first);
  const out: Batch = {};
  for (const name of names) {
    const parts = examples.map((ex, i) => {
      const where = `records[${firstIndex + i}]`;
      if (ex === null || typeof ex !== 'object' || !Object.hasOwn(ex, name)) {
        throw new ArgumentError(where, `${where} has no '${name}' (records[${firstIndex}] has ${names.map((k) => `'${k}'`).join(', ')})`);
      }
      return Tensor.from(ex[name], undefined, `${where}.${name}`);
    });
    const t0 = parts[0];
    parts.forEach((t, i) => {
      if (t.dtype !== t0.dtype || t.shape.join() !== t0.shape.join()) {
        const where = `records[${firstIndex + i}].${name}`;
        throw new ArgumentError(
          where,
          `${where} is ${t.dtype} [${t.shape}] but records[${firstIndex}].${name} is ${t0.dtype} [${t0.shape}]: a batch stacks equal shapes`,
        );
      }
    });
    const shape = [parts.length, ...t0.shape];
    if (t0.dtype === 'string') {
      out[name] = Tensor.from({ dtype: 'string', shape, data: parts.flatMap((t) => t.bytes) });
      continue;
    }
    const Ctor = ARRAY_TYPES[t0.dtype];
    if (!Ctor) throw invalidArgument(`records[${firstIndex}].${name}`, 'a numeric, bool or string value', `a ${t0.dtype} tensor`);
    const width = t0.size * lanes(t0.dtype);
    const data = new Ctor(parts.length * width);
    parts.forEach((t, i) => (data as Float64Array).set(t.data as Float64Array, i * width));
    out[name] = Tensor.from({ dtype: t0.dtype, shape, data });
  }
  return out;
}
