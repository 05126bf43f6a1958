/**
 * Values printed as numpy's `str()` prints them (numpy 2, `suppress=True`, precision 8, line width
 * 75, summaries past 1000 elements): what Python's hooks log and what `String(tensor)` gives, so that
 * log lines read as Python's do. Works on anything tensor-like ({ dtype, shape, data }).
 */

interface TensorLikeValue {
  readonly dtype: string;
  readonly shape: readonly (number | bigint)[];
  readonly data: ArrayLike<unknown>;
}

function isTensorLike(value: unknown): value is TensorLikeValue {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<TensorLikeValue>;
  return typeof v.dtype === 'string' && Array.isArray(v.shape) && v.data !== undefined && typeof v.data === 'object';
}

const FLOAT_BITS: Record<string, 16 | 32 | 64> = { float16: 16, half: 16, bfloat16: 16, float32: 32, float: 32, float64: 64, double: 64 };
/** Scalars print positionally below this magnitude (numpy's per-type cut-off). */
const SCALAR_POSITIONAL_MAX = { 16: 1e3, 32: 1e6, 64: 1e16 };
/** Arrays switch to scientific notation at 10 ** min(8, precision of the type). */
const ARRAY_POSITIONAL_MAX = { 16: 1e3, 32: 1e6, 64: 1e8 };
const LINE_WIDTH = 75;
const SUMMARY_THRESHOLD = 1000;
const EDGE_ITEMS = 3;

/** A fetched value as numpy's `str()` prints it: `4.0`, `[1.5  2.25]`, `[[1 2]\n [3 4]]`, `b'abc'`. */
export function formatTensorValue(value: unknown): string {
  if (!isTensorLike(value)) {
    if (value === null || value === undefined) return 'None';
    if (typeof value === 'boolean') return value ? 'True' : 'False';
    return String(value);
  }
  const bits = FLOAT_BITS[value.dtype];
  const shape = value.shape.map(Number);
  const size = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0) return formatScalar(value.data[0], value.dtype, bits);
  if (size === 0) return '[]';
  const summarize = size > SUMMARY_THRESHOLD;
  const shown = shownIndices(shape, summarize);
  const format = elementFormatter(
    shown.map((i) => value.data[i]),
    value.dtype,
    bits,
  );
  return formatArray(shape, summarize, (flat) => format(value.data[flat]));
}

function formatScalar(x: unknown, dtype: string, bits: 16 | 32 | 64 | undefined): string {
  if (bits !== undefined) return formatFloatScalar(Number(x), bits);
  if (dtype === 'bool') return x ? 'True' : 'False';
  if (dtype === 'string') return bytesRepr(x);
  return String(x);
}

function formatFloatScalar(x: number, bits: 16 | 32 | 64): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const abs = Math.abs(x);
  if (abs === 0 || (abs >= 1e-4 && abs < SCALAR_POSITIONAL_MAX[bits])) {
    const [int, frac] = positional(x, bits, Infinity);
    return `${int}.${frac || '0'}`;
  }
  const { mantissaInt, mantissaFrac, exp } = scientific(x, bits, Infinity);
  return `${mantissaInt}${mantissaFrac ? `.${mantissaFrac}` : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function nonFinite(x: number): string {
  return Number.isNaN(x) ? 'nan' : x < 0 ? '-inf' : 'inf';
}

/** The shortest digits that read back as `x` in its own float type: `[digits, exponent of the first digit]`. */
function shortest(x: number, bits: 16 | 32 | 64): [string, number] {
  let s = x.toExponential();
  if (bits !== 64) {
    for (let p = 0; p < 17; p++) {
      const candidate = x.toExponential(p);
      if (Math.fround(Number(candidate)) === Math.fround(x)) {
        s = candidate;
        break;
      }
    }
  }
  const [mant, e] = s.replace(/^-/, '').split('e');
  return [mant.replace('.', ''), Number(e)];
}

/** `[int part with sign, fraction digits]`, shortest, rounded to at most `maxFrac` fraction digits. */
function positional(x: number, bits: 16 | 32 | 64, maxFrac: number): [string, string] {
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const [digits, exp] = shortest(Math.abs(x), bits);
  let int: string;
  let frac: string;
  if (exp >= 0) {
    int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    frac = digits.slice(exp + 1);
  } else {
    int = '0';
    frac = '0'.repeat(-exp - 1) + digits;
  }
  if (frac.length > maxFrac) {
    [int, frac] = Math.abs(x).toFixed(maxFrac).split('.');
    frac = frac.replace(/0+$/, '');
  }
  frac = frac.replace(/0+$/, '');
  return [sign + int, frac];
}

function scientific(x: number, bits: 16 | 32 | 64, maxFrac: number): { mantissaInt: string; mantissaFrac: string; exp: number } {
  const sign = x < 0 ? '-' : '';
  let [digits, exp] = shortest(Math.abs(x), bits);
  if (digits.length - 1 > maxFrac) {
    const [m, e] = Math.abs(x).toExponential(maxFrac).split('e');
    digits = m.replace('.', '');
    exp = Number(e);
  }
  digits = digits.replace(/0+$/, '') || '0';
  return { mantissaInt: sign + digits[0], mantissaFrac: digits.slice(1), exp };
}

/** One formatter for all elements of an array, padded to a common width as numpy does. */
function elementFormatter(shownValues: unknown[], dtype: string, bits: 16 | 32 | 64 | undefined): (v: unknown) => string {
  if (bits !== undefined) return floatElementFormatter(shownValues.map(Number), bits);
  if (dtype === 'string') return bytesRepr;
  const text = dtype === 'bool' ? (v: unknown) => (v ? 'True' : 'False') : (v: unknown) => String(v);
  const width = Math.max(...shownValues.map((v) => text(v).length));
  return (v) => text(v).padStart(width);
}

function floatElementFormatter(values: number[], bits: 16 | 32 | 64): (v: unknown) => string {
  const finite = values.filter(Number.isFinite);
  const absNonZero = finite.filter((v) => v !== 0).map(Math.abs);
  const expFormat = absNonZero.length > 0 && Math.max(...absNonZero) >= ARRAY_POSITIONAL_MAX[bits];
  const hasNegInf = values.some((v) => v === -Infinity);
  const fitNonFinite = (padLeft: number, padRight: number) => {
    if (finite.length === values.length) return padLeft;
    return Math.max(padLeft, 3 - (padRight + 1), 3 + (hasNegInf ? 1 : 0) - (padRight + 1));
  };
  if (finite.length === 0) {
    const width = fitNonFinite(0, 0) + 1;
    return (v) => nonFinite(Number(v)).padStart(width);
  }

  if (!expFormat) {
    const parts = finite.map((v) => positional(v, bits, 8));
    const padRight = Math.max(...parts.map(([, f]) => f.length));
    const padLeft = fitNonFinite(Math.max(...parts.map(([i]) => i.length)), padRight);
    return (v) => {
      const x = Number(v);
      if (!Number.isFinite(x)) return nonFinite(x).padStart(padLeft + padRight + 1);
      const [int, frac] = positional(x, bits, 8);
      return `${int.padStart(padLeft)}.${frac.padEnd(padRight)}`;
    };
  }

  const parts = finite.map((v) => scientific(v, bits, 8));
  const precision = Math.max(...parts.map((p) => p.mantissaFrac.length));
  const expSize = Math.max(2, ...parts.map((p) => String(Math.abs(p.exp)).length));
  const padRight = expSize + 2 + precision;
  const padLeft = fitNonFinite(Math.max(...parts.map((p) => p.mantissaInt.length)), padRight);
  return (v) => {
    const x = Number(v);
    if (!Number.isFinite(x)) return nonFinite(x).padStart(padLeft + padRight + 1);
    const [m, e] = x.toExponential(precision).split('e');
    const [int, frac = ''] = m.split('.');
    const exp = Number(e);
    return `${int.padStart(padLeft)}.${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(expSize, '0')}`;
  };
}

function bytesRepr(v: unknown): string {
  const bytes = typeof v === 'string' ? new TextEncoder().encode(v) : v instanceof Uint8Array ? v : null;
  if (bytes === null) return String(v);
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  let out = '';
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `b${quote}${out}${quote}`;
}

/** The row-major indices numpy shows: all of them, or the first and last 3 along every long axis. */
function shownIndices(shape: number[], summarize: boolean): number[] {
  const out: number[] = [];
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const walk = (axis: number, base: number) => {
    if (axis === shape.length) {
      out.push(base);
      return;
    }
    const n = shape[axis];
    const idx =
      summarize && n > 2 * EDGE_ITEMS
        ? [...Array(EDGE_ITEMS).keys(), ...Array.from({ length: EDGE_ITEMS }, (_, k) => n - EDGE_ITEMS + k)]
        : [...Array(n).keys()];
    for (const i of idx) walk(axis + 1, base + i * strides[axis]);
  };
  walk(0, 0);
  return out;
}

/** numpy's `_formatArray`: nested brackets, rows wrapped at the line width, `...` in summaries. */
function formatArray(shape: number[], summarize: boolean, element: (flat: number) => string): string {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const extend = (s: string, line: string, word: string, width: number, prefix: string): [string, string] => {
    if (line.length + word.length > width && line.length > prefix.length) {
      s += `${line.trimEnd()}\n`;
      line = prefix;
    }
    return [s, line + word];
  };
  const recurse = (axis: number, base: number, hanging: string, width: number): string => {
    if (axis === shape.length) return element(base);
    const n = shape[axis];
    const showSummary = summarize && 2 * EDGE_ITEMS < n;
    const picks = showSummary
      ? [...Array(EDGE_ITEMS).keys(), -1, ...Array.from({ length: EDGE_ITEMS }, (_, k) => n - EDGE_ITEMS + k)]
      : [...Array(n).keys()];
    const sub = (i: number) => recurse(axis + 1, base + i * strides[axis], `${hanging} `, width - 1);
    let s = '';
    if (axis === shape.length - 1) {
      const elemWidth = width - 1;
      let line = hanging;
      picks.forEach((i, k) => {
        [s, line] = extend(s, line, i < 0 ? '...' : sub(i), elemWidth, hanging);
        if (k < picks.length - 1) line += ' ';
      });
      s += line;
    } else {
      const lineSep = '\n'.repeat(shape.length - axis - 1);
      s = picks.map((i) => hanging + (i < 0 ? '...' : sub(i))).join(lineSep);
    }
    return `[${s.slice(hanging.length)}]`;
  };
  return recurse(0, 0, ' ', LINE_WIDTH);
}
