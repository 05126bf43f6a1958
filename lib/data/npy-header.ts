/**
 * The header of a `.npy` file: a Python dict literal (`{'descr': '<f4', 'fortran_order': False,
 * 'shape': (3, 4), }`) as numpy writes it with `repr`. Parsed by a small reader of the Python
 * literals numpy uses (strings, ints, True/False/None, tuples, lists, dicts), never evaluated.
 */

export type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** Parses the header text; throws an Error whose message is the problem (the caller adds the file). */
export function parseNpyHeader(text: string): NpyHeader {
  const value = parsePyLiteral(text.trim());
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`the header is not a dict: ${clip(text)}`);
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in value)) throw new Error(`the header has no '${key}' key: ${clip(text)}`);
  }
  const { descr, fortran_order: fortranOrder, shape } = value;
  // A list descr is a structured dtype (named fields): no tensor holds that.
  if (typeof descr !== 'string')
    throw new Error(`unsupported dtype ${clip(JSON.stringify(descr))} (structured arrays have no tensor form)`);
  if (typeof fortranOrder !== 'boolean') throw new Error(`'fortran_order' is not True or False: ${clip(text)}`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`'shape' is not a tuple of non-negative integers: ${clip(text)}`);
  }
  return { descr, fortranOrder, shape: shape as number[] };
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

/** A Python literal of the kinds `repr` gives for numpy's header. */
export function parsePyLiteral(text: string): PyValue {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`bad header at character ${pos} (${what}): ${clip(text)}`);
  };
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const value = (): PyValue => {
    skip();
    const c = text[pos];
    if (c === "'" || c === '"') return str(c);
    if (c === '{') return dict();
    if (c === '(') return seq(')');
    if (c === '[') return seq(']');
    const m = /^(?:[+-]?\d+L?|True|False|None)/.exec(text.slice(pos));
    if (!m) return fail('expected a value');
    pos += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    const n = Number(m[0].replace(/L$/, '')); // Python 2's long suffix (`(3L, 4L)`), in old files
    return Number.isSafeInteger(n) ? n : fail('an integer too large');
  };
  const str = (quote: string): string => {
    pos++;
    let out = '';
    while (pos < text.length && text[pos] !== quote) {
      if (text[pos] === '\\') {
        const e = text[pos + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', 0: '\0' };
        if (e in simple) {
          out += simple[e];
          pos += 2;
          continue;
        }
        return fail('an escape in a string');
      }
      out += text[pos++];
    }
    if (pos >= text.length) fail('an unterminated string');
    pos++;
    return out;
  };
  const seq = (close: string): PyValue[] => {
    pos++;
    const out: PyValue[] = [];
    for (;;) {
      skip();
      if (text[pos] === close) {
        pos++;
        return out;
      }
      out.push(value());
      skip();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== close) fail(`expected ',' or '${close}'`);
    }
  };
  const dict = (): { [k: string]: PyValue } => {
    pos++;
    const out: { [k: string]: PyValue } = Object.create(null);
    for (;;) {
      skip();
      if (text[pos] === '}') {
        pos++;
        return out;
      }
      const key = value();
      if (typeof key !== 'string') fail('a dict key that is not a string');
      skip();
      if (text[pos] !== ':') fail("expected ':'");
      pos++;
      out[key as string] = value();
      skip();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== '}') fail("expected ',' or '}'");
    }
  };
  const v = value();
  skip();
  if (pos !== text.length) fail('text after the value');
  return v;
}
