/**
 * Summary builders, for hooks and for users whose graph has no summary ops: they produce the same
 * `tensorflow.Summary` messages as Python's `tf.compat.v1.summary.*` ops do for the same data.
 *
 * ```ts
 * writer.addSummary(scalarSummary('loss', 0.25), step);
 * writer.addSummary(mergeSummaries(histogramSummary('w', weights), textSummary('note', 'hello')), step);
 * writer.addSummary(imageSummary('digit', { height: 8, width: 8, channels: 1, data: pixels }), step);
 * ```
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import { PNG, type ColorType } from 'pngjs';
import { ArgumentError, invalidArgument } from '../core/errors';
import { checkOptionsObject } from '../core/options';
import {
  SummarySchema,
  SummaryMetadataSchema,
  Summary_ImageSchema,
  type Summary,
  type Summary_Image,
} from '../proto/gen/tensorflow/core/framework/summary_pb';
import { HistogramProtoSchema, type HistogramProto } from '../proto/gen/xla/tsl/protobuf/histogram_pb';
import { TensorProtoSchema } from '../proto/gen/tensorflow/core/framework/tensor_pb';
import { DataType } from '../proto/gen/tensorflow/core/framework/types_pb';
import { SessionLogSchema, SessionLog_SessionStatus, type SessionLog } from '../proto/gen/tensorflow/core/util/event_pb';

function checkTag(tag: unknown, param = 'tag'): string {
  if (typeof tag !== 'string') throw invalidArgument(param, 'a string tag', tag);
  return tag;
}

/** A Summary with one `simple_value` (what `tf.compat.v1.summary.scalar` produces). */
export function scalarSummary(tag: string, value: number | bigint): Summary {
  checkTag(tag);
  let v: number;
  if (typeof value === 'number') v = value;
  else if (typeof value === 'bigint') v = Number(value);
  else throw invalidArgument('value', 'a number', value);
  return create(SummarySchema, { value: [{ tag, value: { case: 'simpleValue', value: v } }] });
}

/**
 * The StepCounterHook's summary: `<global step op name>/sec` = steps per second (docs/python-parity.md §5.5);
 * the tag is `global_step/sec` for the usual global step.
 */
export function stepsPerSecSummary(stepsPerSec: number, globalStepOpName = 'global_step'): Summary {
  if (typeof stepsPerSec !== 'number') throw invalidArgument('stepsPerSec', 'a number', stepsPerSec);
  if (typeof globalStepOpName !== 'string' || !globalStepOpName)
    throw invalidArgument('globalStepOpName', 'an operation name', globalStepOpName);
  return scalarSummary(`${globalStepOpName}/sec`, stepsPerSec);
}

// ---- histograms ------------------------------------------------------------------------------

const DBL_MAX = Number.MAX_VALUE;

/**
 * TF's default histogram bucket limits (tensorflow/core/lib/histogram/histogram.cc): 0, ±1e-12
 * growing by 10 % per bucket up to 1e20, and ±DBL_MAX at the ends; 1549 limits, ascending.
 */
export const DEFAULT_BUCKET_LIMITS: readonly number[] = (() => {
  const pos: number[] = [];
  for (let v = 1.0e-12; v < 1.0e20; v *= 1.1) pos.push(v);
  pos.push(DBL_MAX);
  const neg = pos.map((v) => -v).reverse();
  return Object.freeze([...neg, 0, ...pos]);
})();

function upperBound(limits: readonly number[], value: number): number {
  let lo = 0;
  let hi = limits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (limits[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A HistogramProto of `values` as TF's HistogramSummary op builds it: TF's default buckets, runs
 * of empty buckets collapsed into one (the limit of the run's last bucket, count 0), min/max/num/
 * sum/sum_squares over the values. NaN or ±Infinity is an error, as in TF ("Nan in summary
 * histogram for: <tag>").
 */
export function histogramProto(values: ArrayLike<number> | Iterable<number>, tag = 'values'): HistogramProto {
  checkTag(tag);
  const limits = DEFAULT_BUCKET_LIMITS;
  const counts = new Float64Array(limits.length);
  let min = limits[limits.length - 1];
  let max = -DBL_MAX;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  const arr: ArrayLike<number> =
    Array.isArray(values) || ArrayBuffer.isView(values)
      ? (values as ArrayLike<number>)
      : values !== null && typeof values === 'object' && Symbol.iterator in (values as object)
        ? Array.from(values as Iterable<number>)
        : (() => {
            throw invalidArgument('values', 'an array, TypedArray or iterable of numbers', values);
          })();
  for (let i = 0; i < arr.length; i++) {
    const raw = arr[i] as unknown;
    if (typeof raw !== 'number' && typeof raw !== 'bigint') throw invalidArgument(`values[${i}]`, 'a number', raw);
    const v = Number(raw);
    if (!Number.isFinite(v)) {
      throw new ArgumentError('values', `Nan in summary histogram for: ${tag} (values[${i}] is ${v})`);
    }
    counts[upperBound(limits, v)] += 1;
    if (min > v) min = v;
    if (max < v) max = v;
    num++;
    sum += v;
    sumSquares += v * v;
  }
  const bucketLimit: number[] = [];
  const bucket: number[] = [];
  for (let i = 0; i < counts.length; ) {
    let end = limits[i];
    let count = counts[i];
    i++;
    if (count <= 0) {
      while (i < counts.length && counts[i] <= 0) {
        end = limits[i];
        count = counts[i];
        i++;
      }
    }
    bucketLimit.push(end);
    bucket.push(count);
  }
  if (bucket.length === 0) {
    bucketLimit.push(DBL_MAX);
    bucket.push(0);
  }
  return create(HistogramProtoSchema, { min, max, num, sum, sumSquares, bucketLimit, bucket });
}

/** A Summary with a histogram of `values` (what `tf.compat.v1.summary.histogram` produces). */
export function histogramSummary(tag: string, values: ArrayLike<number> | Iterable<number>): Summary {
  checkTag(tag);
  return create(SummarySchema, { value: [{ tag, value: { case: 'histo', value: histogramProto(values, tag) } }] });
}

// ---- text ------------------------------------------------------------------------------------

const utf8 = new TextEncoder();

/**
 * A text summary (what `tf.compat.v1.summary.text` produces): a DT_STRING tensor with the text
 * plugin's metadata. A string gives a scalar; an array of strings a vector, an array of arrays a
 * matrix (TensorBoard shows those as tables).
 */
export function textSummary(tag: string, text: string | string[] | string[][]): Summary {
  checkTag(tag);
  let dims: number[];
  let flat: string[];
  if (typeof text === 'string') {
    dims = [];
    flat = [text];
  } else if (Array.isArray(text) && text.every((t) => typeof t === 'string')) {
    dims = [text.length];
    flat = text as string[];
  } else if (
    Array.isArray(text) &&
    text.length > 0 &&
    text.every((r) => Array.isArray(r) && r.length === (text[0] as string[]).length && r.every((t) => typeof t === 'string'))
  ) {
    dims = [text.length, (text[0] as string[]).length];
    flat = (text as string[][]).flat();
  } else {
    throw invalidArgument('text', 'a string, an array of strings or a rectangular array of arrays of strings', text);
  }
  const tensor = create(TensorProtoSchema, {
    dtype: DataType.DT_STRING,
    tensorShape: { dim: dims.map((size) => ({ size: BigInt(size) })) },
    stringVal: flat.map((s) => utf8.encode(s)),
  });
  const metadata = create(SummaryMetadataSchema, { pluginData: { pluginName: 'text' } });
  return create(SummarySchema, { value: [{ tag, metadata, value: { case: 'tensor', value: tensor } }] });
}

// ---- images ----------------------------------------------------------------------------------

/** Raw 8-bit pixels, row-major, `channels` bytes per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
export interface RawImage {
  height: number;
  width: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray | ArrayLike<number>;
}

const COLOR_TYPE: Record<number, ColorType> = { 1: 0, 2: 4, 3: 2, 4: 6 };

/** PNG bytes of raw pixels (pngjs, 8 bits per channel, the input's color type). */
export function encodePng(image: RawImage, param = 'image'): Uint8Array {
  if (image === null || typeof image !== 'object') throw invalidArgument(param, 'an image { height, width, channels, data }', image);
  const { height, width, channels, data } = image;
  if (!Number.isInteger(height) || height < 1) throw invalidArgument(`${param}.height`, 'a positive integer', height);
  if (!Number.isInteger(width) || width < 1) throw invalidArgument(`${param}.width`, 'a positive integer', width);
  if (typeof channels !== 'number' || !(channels in COLOR_TYPE))
    throw invalidArgument(`${param}.channels`, '1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA)', channels);
  const n = height * width * channels;
  if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') {
    throw invalidArgument(`${param}.data`, 'a Uint8Array of pixels', data);
  }
  if (data.length !== n) {
    throw new ArgumentError(
      `${param}.data`,
      `Expected ${n} bytes (${height}×${width}×${channels}) for ${param}.data but received ${data.length}`,
    );
  }
  let buf: Buffer;
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) {
    buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  } else {
    buf = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < 0 || v > 255) throw invalidArgument(`${param}.data[${i}]`, 'an integer in [0, 255]', v);
      buf[i] = v;
    }
  }
  const colorType = COLOR_TYPE[channels];
  const png = PNG.sync.write({ width, height, data: buf } as PNG, {
    colorType,
    inputColorType: colorType,
    inputHasAlpha: channels === 2 || channels === 4,
    bitDepth: 8,
  });
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** A Summary.Image (PNG-encoded) of raw pixels. */
export function imageProto(image: RawImage, param = 'image'): Summary_Image {
  const encoded = encodePng(image, param);
  return create(Summary_ImageSchema, {
    height: image.height,
    width: image.width,
    colorspace: image.channels,
    encodedImageString: encoded,
  });
}

/**
 * An image summary of raw pixels, PNG-encoded. One image: tag as given. Several: tags
 * `<tag>/image/0`, `<tag>/image/1`, ... as `tf.compat.v1.summary.image` names them (a single
 * image there is `<tag>/image/0` too when it comes from a batch; pass `[image]` for that).
 */
export function imageSummary(tag: string, images: RawImage | RawImage[]): Summary {
  checkTag(tag);
  if (Array.isArray(images)) {
    return create(SummarySchema, {
      value: images.map((img, i) => ({
        tag: `${tag}/image/${i}`,
        value: { case: 'image' as const, value: imageProto(img, `images[${i}]`) },
      })),
    });
  }
  return create(SummarySchema, { value: [{ tag, value: { case: 'image', value: imageProto(images, 'images') } }] });
}

// ---- combining, session logs -------------------------------------------------------------------

/** One Summary holding the values of all the given summaries (messages or bytes), in order. */
export function mergeSummaries(...summaries: Array<Summary | Uint8Array>): Summary {
  const out = create(SummarySchema);
  summaries.forEach((s, i) => {
    if (s instanceof Uint8Array) {
      try {
        out.value.push(...fromBinary(SummarySchema, s).value);
      } catch (e) {
        throw new ArgumentError(`summaries[${i}]`, `summaries[${i}] is not a serialized tensorflow.Summary: ${(e as Error).message}`);
      }
    } else if (s && (s as { $typeName?: string }).$typeName === SummarySchema.typeName) {
      out.value.push(...s.value);
    } else {
      throw invalidArgument(`summaries[${i}]`, 'a tensorflow.Summary message or its bytes', s);
    }
  });
  return out;
}

export type SessionStatusName = 'STATUS_UNSPECIFIED' | 'START' | 'STOP' | 'CHECKPOINT';

const SESSION_LOG_OPTION_NAMES = ['checkpointPath', 'msg'] as const;

/** A SessionLog status given by name or number, as its number; anything else is an ArgumentError. */
export function checkSessionStatus(status: unknown, param = 'status'): SessionLog_SessionStatus {
  const s: unknown =
    typeof status === 'string'
      ? Object.hasOwn(SessionLog_SessionStatus, status)
        ? SessionLog_SessionStatus[status as SessionStatusName]
        : undefined
      : status;
  if (typeof s !== 'number' || SessionLog_SessionStatus[s] === undefined) {
    throw invalidArgument(param, 'one of START, STOP, CHECKPOINT, STATUS_UNSPECIFIED', status);
  }
  return s;
}

/** A SessionLog: `sessionLog('START')`, `sessionLog('CHECKPOINT', { checkpointPath })`. */
export function sessionLog(
  status: SessionStatusName | SessionLog_SessionStatus,
  opts: { checkpointPath?: string; msg?: string } = {},
): SessionLog {
  const s = checkSessionStatus(status);
  opts = checkOptionsObject<{ checkpointPath?: string; msg?: string }>(opts, 'opts', SESSION_LOG_OPTION_NAMES, 'sessionLog');
  if (opts.checkpointPath !== undefined && typeof opts.checkpointPath !== 'string')
    throw invalidArgument('checkpointPath', 'a string', opts.checkpointPath);
  if (opts.msg !== undefined && typeof opts.msg !== 'string') throw invalidArgument('msg', 'a string', opts.msg);
  return create(SessionLogSchema, { status: s, checkpointPath: opts.checkpointPath ?? '', msg: opts.msg ?? '' });
}
