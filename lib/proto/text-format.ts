// Protobuf text format (graph.pbtxt, the `checkpoint` state file, ...), written and read as Python's
// `google.protobuf.text_format` does: printText byte-identical to `MessageToString`, parseText
// accepting what `Parse` accepts, with errors that give file, line and column. Python's rules:
// docs/python-parity.md#12-protobuf-text-format. @bufbuild/protobuf's txtpb module prints in
// declaration order with `name: {` and reports errors without a position, hence this module.
import {
  fromBinary,
  toBinary,
  ScalarType,
  type DescEnum,
  type DescField,
  type DescMessage,
  type MessageShape,
  type Registry,
} from '@bufbuild/protobuf';
import { reflect, type ReflectMessage } from '@bufbuild/protobuf/reflect';
import { Edition } from '@bufbuild/protobuf/wkt';
import { registry as defaultRegistry } from './registry';

// ---------------------------------------------------------------------------------------------
// Errors

/** Text that is not valid text format for the expected message type. */
export class TextFormatError extends Error {
  /** The file the text came from, when the caller named it. */
  file?: string;
  /** 1-based line of the offending token. */
  line: number;
  /** 1-based column (in characters) of the offending token. */
  column: number;
  /** The problem alone, without the position. */
  reason: string;
  /** The field name the error is about (unknown field, duplicate field, bad value), when there is one. */
  field?: string;

  constructor(reason: string, position: { line: number; column: number; file?: string; field?: string }) {
    super(`${position.file ?? '<text>'}:${position.line}:${position.column}: ${reason}`);
    this.name = 'TextFormatError';
    this.reason = reason;
    this.line = position.line;
    this.column = position.column;
    if (position.file !== undefined) this.file = position.file;
    if (position.field !== undefined) this.field = position.field;
  }
}

export interface ParseTextOptions {
  /** Named in errors. */
  file?: string;
  /** Resolves `[type.googleapis.com/...]` Any expansions; defaults to every TF type generated here. */
  registry?: Registry;
  /** Maximum message nesting; deeper input is an error instead of a stack overflow. Default 100. */
  recursionLimit?: number;
}

export interface PrintTextOptions {
  /** Resolves google.protobuf.Any contents for the expanded form; defaults to every TF type generated here. */
  registry?: Registry;
  /**
   * Non-ASCII characters of string fields as UTF-8 (true, the default: Python protobuf's
   * `as_utf8` default in the version the pinned TF uses) or as octal escapes of their bytes
   * (false: older Python protobuf). Bytes fields are always escaped. Both forms parse the same.
   */
  asUtf8?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Printing

/** Text format, byte-identical to Python's `text_format.MessageToString(message)` (docs/python-parity.md §12). */
export function printText<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, options: PrintTextOptions = {}): string {
  const out: string[] = [];
  printMessage(out, reflect(schema, message), '', { reg: options.registry ?? defaultRegistry, asUtf8: options.asUtf8 ?? true });
  return out.join('');
}

interface PrintContext {
  reg: Registry;
  asUtf8: boolean;
}

function printMessage(out: string[], msg: ReflectMessage, indent: string, ctx: PrintContext): void {
  if (msg.desc.typeName === 'google.protobuf.Any' && printAny(out, msg, indent, ctx)) return;
  for (const field of msg.sortedFields) {
    // upb counts -0.0 in a float field without presence as set (its bits are not zero); so does
    // Python's text format. @bufbuild/protobuf counts it as unset.
    if (!msg.isSet(field) && !(field.fieldKind === 'scalar' && Object.is(msg.get(field), -0))) continue;
    const name = fieldTextName(field);
    switch (field.fieldKind) {
      case 'scalar':
        out.push(indent, name, ': ', scalarText(field.scalar, msg.get(field), ctx), '\n');
        break;
      case 'enum':
        out.push(indent, name, ': ', enumText(field.enum, msg.get(field)), '\n');
        break;
      case 'message':
        printSubMessage(out, name, msg.get(field), indent, ctx);
        break;
      case 'list':
        for (const item of msg.get(field)) {
          if (field.listKind === 'message') printSubMessage(out, name, item as ReflectMessage, indent, ctx);
          else if (field.listKind === 'enum') out.push(indent, name, ': ', enumText(field.enum, item as number), '\n');
          else out.push(indent, name, ': ', scalarText(field.scalar, item, ctx), '\n');
        }
        break;
      case 'map': {
        const entries = [...msg.get(field)].sort((a, b) => comparePythonKeys(a[0], b[0]));
        // An entry is printed as Python prints `EntryClass(key=k, value=v)`: in a proto3 file a
        // zero key or zero scalar value has no presence and is left out; a message value always
        // shows.
        const implicit = field.parent.file.edition === Edition.EDITION_PROTO3;
        const inner = `${indent}  `;
        for (const [key, value] of entries) {
          out.push(indent, name, ' {\n');
          if (!implicit || !isZeroKey(key)) out.push(inner, 'key: ', scalarText(field.mapKey, key, ctx), '\n');
          if (field.mapKind === 'message') {
            printSubMessage(out, 'value', value as ReflectMessage, inner, ctx);
          } else if (field.mapKind === 'enum') {
            if (!implicit || value !== 0) out.push(inner, 'value: ', enumText(field.enum, value as number), '\n');
          } else if (!implicit || !isZeroScalar(value)) {
            out.push(inner, 'value: ', scalarText(field.scalar, value, ctx), '\n');
          }
          out.push(indent, '}\n');
        }
        break;
      }
    }
  }
}

function printSubMessage(out: string[], name: string, msg: ReflectMessage, indent: string, ctx: PrintContext): void {
  out.push(indent, name, ' {\n');
  printMessage(out, msg, `${indent}  `, ctx);
  out.push(indent, '}\n');
}

// Python: `[type_url] {` ... `}` when the type URL has a '/' and the type is known, else the raw fields.
function printAny(out: string[], msg: ReflectMessage, indent: string, ctx: PrintContext): boolean {
  const typeUrl = msg.get(msg.desc.fields.find((f) => f.number === 1)!) as string;
  const value = msg.get(msg.desc.fields.find((f) => f.number === 2)!) as Uint8Array;
  const slash = typeUrl.lastIndexOf('/');
  if (slash < 0) return false;
  const desc = ctx.reg.getMessage(typeUrl.slice(slash + 1));
  if (!desc) return false;
  let inner: ReflectMessage;
  try {
    inner = reflect(desc, fromBinary(desc, value));
  } catch {
    return false;
  }
  out.push(indent, '[', typeUrl, '] {\n');
  printMessage(out, inner, `${indent}  `, ctx);
  out.push(indent, '}\n');
  return true;
}

function fieldTextName(field: DescField): string {
  // proto2 groups print as their type name; TF has none, but keep Python's rule.
  if (field.fieldKind === 'message' && field.delimitedEncoding && field.message.name.toLowerCase() === field.name) {
    return field.message.name;
  }
  return field.name;
}

function enumText(desc: DescEnum, value: number): string {
  return desc.value[value]?.name ?? String(value);
}

function scalarText(type: ScalarType, value: unknown, ctx: PrintContext): string {
  switch (type) {
    case ScalarType.STRING:
      return `"${ctx.asUtf8 ? cEscapeUtf8(value as string) : cEscape(utf8.encode(value as string))}"`;
    case ScalarType.BYTES:
      return `"${cEscape(value as Uint8Array)}"`;
    case ScalarType.BOOL:
      return value ? 'true' : 'false';
    case ScalarType.FLOAT:
      return formatFloat32(value as number);
    case ScalarType.DOUBLE:
      return formatDouble(value as number);
    default:
      return String(value);
  }
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

// Python's text_encoding.CEscape(bytes, as_utf8=False).
const ESCAPES: string[] = (() => {
  const t: string[] = [];
  for (let i = 0; i < 256; i++) t.push(i < 32 || i >= 127 ? `\\${i.toString(8).padStart(3, '0')}` : String.fromCharCode(i));
  t[9] = '\\t';
  t[10] = '\\n';
  t[13] = '\\r';
  t[34] = '\\"';
  t[39] = "\\'";
  t[92] = '\\\\';
  return t;
})();

/** C-escapes bytes exactly as Python's `text_encoding.CEscape(b, as_utf8=False)`. */
export function cEscape(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += ESCAPES[bytes[i]];
  return s;
}

/** Python's `text_encoding.CEscape(str, as_utf8=True)`: ASCII escaped as above, the rest as is. */
export function cEscapeUtf8(text: string): string {
  let s = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    s += c < 128 ? ESCAPES[c] : text[i];
  }
  return s;
}

/** Python's `str(float)` (repr) of a double: `1.0`, `0.1`, `1e-05`, `1e+16`, `inf`, `nan`. */
export function formatDouble(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // JS String() gives the shortest round-trip digits, like Python's repr; only the layout differs.
  const { digits, exp } = decimalDigits(Math.abs(x));
  if (exp < -4 || exp >= 16) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${int}.${frac || '0'}`;
}

/**
 * A float32 field as Python prints it: `type_checkers.ToShortestFloat` (the fewest significant
 * digits, at least 6, that round-trip through float32), then repr().
 */
export function formatFloat32(value: number): string {
  const x = Math.fround(value);
  if (!Number.isFinite(x) || x === 0) return formatDouble(x);
  for (let p = 6; p < 17; p++) {
    const rounded = toPrecisionHalfEven(x, p);
    if (Math.fround(rounded) === x) return formatDouble(rounded);
  }
  return formatDouble(x);
}

// Python's float('{:.{p}g}'.format(x)): x rounded to p significant digits, ties to even on the
// exact binary value. JS's toPrecision breaks ties away from zero; ties are rare, so they are
// detected (the exact expansion has p + 1 digits, the last a 5) and redone.
function toPrecisionHalfEven(x: number, p: number): number {
  const up = Number(x.toPrecision(p));
  const next = x.toExponential(p); // p + 1 significant digits
  const e = next.indexOf('e');
  if (next[e - 1] !== '5') return up;
  const digits = exactDigits(x);
  if (digits.length !== p + 1 || Number(digits[p - 1]) % 2 !== 0) return up;
  const sign = x < 0 ? '-' : '';
  return Number(`${sign}${digits[0]}.${digits.slice(1, p)}e${next.slice(e + 1)}`);
}

// The significant digits of |x|'s exact decimal expansion (a double is m * 2^e: exact in BigInt).
function exactDigits(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp = 1;
  else mant |= 1n << 52n;
  exp -= 1075;
  const n = exp >= 0 ? mant << BigInt(exp) : mant * 5n ** BigInt(-exp);
  return n.toString().replace(/0+$/, '');
}

// Significant digits (no trailing zeros) and decimal exponent of a positive finite number.
function decimalDigits(x: number): { digits: string; exp: number } {
  const s = String(x);
  const e = s.indexOf('e');
  let mant = e < 0 ? s : s.slice(0, e);
  let exp = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const intLen = dot < 0 ? mant.length : dot;
  mant = mant.replace('.', '');
  const lead = mant.length - mant.replace(/^0+/, '').length;
  exp += intLen - 1 - lead;
  const digits = mant.slice(lead).replace(/0+$/, '');
  return { digits: digits || '0', exp };
}

function isZeroKey(key: unknown): boolean {
  return key === '' || key === 0 || key === 0n || key === false;
}

function isZeroScalar(v: unknown): boolean {
  if (v instanceof Uint8Array) return v.length === 0;
  if (typeof v === 'number') return v === 0 && !Object.is(v, -0);
  return v === '' || v === 0n || v === false;
}

// Python sorts map keys with its own ordering: numbers numerically, False < True, strings by code
// point (JS's default comparison is by UTF-16 unit, which differs above U+FFFF).
function comparePythonKeys(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = [...a];
    const y = [...b];
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
      if (d) return d;
    }
    return x.length - y.length;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  const x = BigInt(a as number | bigint);
  const y = BigInt(b as number | bigint);
  return x < y ? -1 : x > y ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'eof';
interface Token {
  kind: TokenKind;
  /** Source text (for strings: the raw literal, quotes included). */
  text: string;
  /** For strings: the unescaped bytes. */
  bytes?: Uint8Array;
  pos: number;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const NUMBER = /(?:0[xX][0-9a-fA-F]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fF]?)/y;

class Tokenizer {
  private pos = 0;
  private lookahead: Token | undefined;
  private lineStarts: number[] = [0];

  constructor(
    private readonly text: string,
    private readonly file: string | undefined,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  position(pos: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    // Columns count characters (code points), not UTF-16 units.
    const column = [...this.text.slice(this.lineStarts[lo], pos)].length + 1;
    return { line: lo + 1, column };
  }

  error(reason: string, pos: number, field?: string): TextFormatError {
    return new TextFormatError(reason, { ...this.position(pos), file: this.file, field });
  }

  peek(): Token {
    this.lookahead ??= this.scan();
    return this.lookahead;
  }

  next(): Token {
    const t = this.peek();
    this.lookahead = undefined;
    return t;
  }

  /** Consumes `text` if it is the next punctuation. */
  tryConsume(text: string): boolean {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === text) {
      this.next();
      return true;
    }
    return false;
  }

  consume(text: string, what?: string): Token {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== text)
      throw this.error(`Expected "${text}"${what ? ` ${what}` : ''}, found ${describe(t)}.`, t.pos);
    return this.next();
  }

  /** After `[`: the raw extension or Any type URL up to `]`, whitespace removed. */
  bracketName(): { name: string; pos: number } {
    if (this.lookahead) throw new Error('internal: bracketName with a pending token');
    this.skipSpace();
    const start = this.pos;
    let name = '';
    while (this.pos < this.text.length && this.text[this.pos] !== ']') {
      const c = this.text[this.pos];
      if (c === '#') {
        this.skipSpace();
        continue;
      }
      if (!/\s/.test(c)) {
        if (!/[A-Za-z0-9_./%-]/.test(c)) throw this.error(`Unexpected "${c}" in a [type name].`, this.pos);
        name += c;
      }
      this.pos++;
    }
    if (this.pos >= this.text.length) throw this.error('Unterminated "[" type name.', start);
    this.pos++;
    if (!name) throw this.error('Empty [type name].', start);
    return { name, pos: start };
  }

  private skipSpace(): void {
    const s = this.text;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12) {
        this.pos++;
      } else if (c === 35 /* # */) {
        while (this.pos < s.length && s.charCodeAt(this.pos) !== 10) this.pos++;
      } else {
        break;
      }
    }
  }

  private scan(): Token {
    this.skipSpace();
    const s = this.text;
    const pos = this.pos;
    if (pos >= s.length) return { kind: 'eof', text: '', pos };
    const c = s[pos];
    if ('{}<>[]:,;-/'.includes(c)) {
      this.pos++;
      return { kind: 'punct', text: c, pos };
    }
    if (c === '"' || c === "'") return this.scanString(c);
    if (IDENT_START.test(c)) {
      let end = pos + 1;
      while (end < s.length && IDENT_PART.test(s[end])) end++;
      this.pos = end;
      return { kind: 'ident', text: s.slice(pos, end), pos };
    }
    if (/[0-9.]/.test(c)) {
      NUMBER.lastIndex = pos;
      const m = NUMBER.exec(s);
      if (!m) throw this.error(`Invalid number starting with "${c}".`, pos);
      let end = pos + m[0].length;
      if (end < s.length && /[A-Za-z0-9_.]/.test(s[end])) {
        while (end < s.length && /[A-Za-z0-9_.+-]/.test(s[end])) end++;
        throw this.error(`Invalid number "${s.slice(pos, end)}".`, pos);
      }
      this.pos = end;
      return { kind: 'number', text: m[0], pos };
    }
    throw this.error(`Unexpected character "${c}".`, pos);
  }

  private scanString(quote: string): Token {
    const s = this.text;
    const start = this.pos;
    const bytes: number[] = [];
    let i = start + 1;
    const pushUtf8 = (cp: number, at: number) => {
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw this.error(`Invalid Unicode escape in string.`, at);
      for (const b of utf8.encode(String.fromCodePoint(cp))) bytes.push(b);
    };
    for (;;) {
      if (i >= s.length || s[i] === '\n') throw this.error('String missing ending quote.', start);
      const c = s[i];
      if (c === quote) {
        i++;
        break;
      }
      if (c !== '\\') {
        const cp = s.codePointAt(i)!;
        pushUtf8(cp, i);
        i += cp > 0xffff ? 2 : 1;
        continue;
      }
      const escAt = i;
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case 'a':
          bytes.push(7);
          break;
        case 'b':
          bytes.push(8);
          break;
        case 'f':
          bytes.push(12);
          break;
        case 'n':
          bytes.push(10);
          break;
        case 'r':
          bytes.push(13);
          break;
        case 't':
          bytes.push(9);
          break;
        case 'v':
          bytes.push(11);
          break;
        case '\\':
        case "'":
        case '"':
        case '?':
          bytes.push(e.charCodeAt(0));
          break;
        case 'x':
        case 'X': {
          const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i, i + 2));
          if (!m) throw this.error('Invalid \\x escape in string.', escAt);
          bytes.push(parseInt(m[0], 16));
          i += m[0].length;
          break;
        }
        case 'u':
        case 'U': {
          const n = e === 'u' ? 4 : 8;
          const hex = s.slice(i, i + n);
          if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw this.error(`Invalid \\${e} escape in string.`, escAt);
          let cp = parseInt(hex, 16);
          i += n;
          // A surrogate pair written as two \u escapes.
          if (e === 'u' && cp >= 0xd800 && cp <= 0xdbff && /^\\u[dD][c-fC-F][0-9a-fA-F]{2}/.test(s.slice(i, i + 6))) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (parseInt(s.slice(i + 2, i + 6), 16) - 0xdc00);
            i += 6;
          }
          pushUtf8(cp, escAt);
          break;
        }
        default: {
          const m = /^[0-7]{1,3}/.exec(s.slice(i - 1, i + 2));
          if (!m)
            throw this.error(
              e === undefined || e === '\n' ? 'String missing ending quote.' : `Invalid escape sequence "\\${e}" in string.`,
              escAt,
            );
          const v = parseInt(m[0], 8);
          if (v > 255) throw this.error(`Octal escape \\${m[0]} out of range.`, escAt);
          bytes.push(v);
          i += m[0].length - 1;
        }
      }
    }
    this.pos = i;
    return { kind: 'string', text: s.slice(start, i), bytes: Uint8Array.from(bytes), pos: start };
  }
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of input';
  return `"${t.text.length > 40 ? `${t.text.slice(0, 40)}...` : t.text}"`;
}

// ---------------------------------------------------------------------------------------------
// Parser

/**
 * Parses text format into a message of `schema`, accepting what Python's `text_format.Parse`
 * accepts (docs/python-parity.md §12).
 * Errors are {@link TextFormatError}s with the file (when given), line and column.
 */
export function parseText<Desc extends DescMessage>(schema: Desc, text: string, options: ParseTextOptions = {}): MessageShape<Desc> {
  const parser = new Parser(new Tokenizer(text, options.file), options.registry ?? defaultRegistry, options.recursionLimit ?? 100);
  const msg = reflect(schema);
  parser.parseFields(msg, undefined, 0);
  return msg.message as MessageShape<Desc>;
}

class Parser {
  constructor(
    private readonly tok: Tokenizer,
    private readonly reg: Registry,
    private readonly recursionLimit: number,
  ) {}

  // Fields up to `close` (or end of input at the top level).
  parseFields(msg: ReflectMessage, close: string | undefined, depth: number): void {
    if (depth > this.recursionLimit) throw this.tok.error(`Message nesting deeper than ${this.recursionLimit}.`, this.tok.peek().pos);
    const seen = new Set<DescField>();
    for (;;) {
      const t = this.tok.peek();
      if (close === undefined ? t.kind === 'eof' : t.kind === 'punct' && t.text === close) return;
      if (t.kind === 'eof') throw this.tok.error(`Expected "${close}".`, t.pos);
      this.parseField(msg, seen, depth);
      if (!this.tok.tryConsume(',')) this.tok.tryConsume(';');
    }
  }

  private parseField(msg: ReflectMessage, seen: Set<DescField>, depth: number): void {
    const nameTok = this.tok.next();
    if (nameTok.kind === 'punct' && nameTok.text === '[') {
      const { name, pos } = this.tok.bracketName();
      if (msg.desc.typeName === 'google.protobuf.Any' && name.includes('/')) {
        this.parseAnyExpansion(msg, name, pos, depth);
        return;
      }
      throw this.tok.error(`Extension "${name}" not registered.`, pos, name);
    }
    if (nameTok.kind !== 'ident') throw this.tok.error(`Expected identifier or number, got ${describe(nameTok)}.`, nameTok.pos);
    const name = nameTok.text;
    const field =
      msg.desc.fields.find((f) => f.name === name) ??
      msg.desc.fields.find((f) => f.fieldKind === 'message' && f.delimitedEncoding && f.message.name === name);
    if (!field) throw this.tok.error(`Message type "${msg.desc.typeName}" has no field named "${name}".`, nameTok.pos, name);

    const repeated = field.fieldKind === 'list' || field.fieldKind === 'map';
    if (!repeated) {
      if (seen.has(field))
        throw this.tok.error(`Message type "${msg.desc.typeName}" should not have multiple "${name}" fields.`, nameTok.pos, name);
      if (field.oneof) {
        const other = msg.oneofCase(field.oneof);
        if (other && other !== field && seen.has(other)) {
          throw this.tok.error(
            `Field "${name}" is specified along with field "${other.name}", another member of oneof "${field.oneof.name}" for message type "${msg.desc.typeName}".`,
            nameTok.pos,
            name,
          );
        }
      }
      seen.add(field);
    }

    const isMessage =
      field.fieldKind === 'message' || field.fieldKind === 'map' || (field.fieldKind === 'list' && field.listKind === 'message');
    if (isMessage) {
      this.tok.tryConsume(':');
    } else if (!this.tok.tryConsume(':')) {
      throw this.tok.error(`Expected ":" after field "${name}", found ${describe(this.tok.peek())}.`, this.tok.peek().pos, name);
    }

    if (this.tok.tryConsume('[')) {
      if (!repeated) throw this.tok.error(`Field "${name}" is not repeated: a list [...] is not allowed.`, nameTok.pos, name);
      if (this.tok.tryConsume(']')) return;
      do this.parseValue(msg, field, depth);
      while (this.tok.tryConsume(','));
      this.tok.consume(']', `to end the list of field "${name}"`);
      return;
    }
    this.parseValue(msg, field, depth);
  }

  // One value of `field` (one element for a list or map).
  private parseValue(msg: ReflectMessage, field: DescField, depth: number): void {
    switch (field.fieldKind) {
      case 'scalar':
        msg.set(field, this.parseScalar(field.scalar, field.name));
        return;
      case 'enum':
        msg.set(field, this.parseEnum(field.enum, field.name));
        return;
      case 'message':
        msg.set(field, this.parseMessageValue(field.message, depth));
        return;
      case 'list': {
        const list = msg.get(field);
        if (field.listKind === 'message') list.add(this.parseMessageValue(field.message, depth));
        else if (field.listKind === 'enum') list.add(this.parseEnum(field.enum, field.name));
        else list.add(this.parseScalar(field.scalar, field.name));
        return;
      }
      case 'map':
        this.parseMapEntry(msg, field, depth);
        return;
    }
  }

  private openMessage(): string {
    const t = this.tok.peek();
    if (t.kind === 'punct' && (t.text === '{' || t.text === '<')) {
      this.tok.next();
      return t.text === '{' ? '}' : '>';
    }
    throw this.tok.error(`Expected "{" or "<", found ${describe(t)}.`, t.pos);
  }

  private parseMessageValue(desc: DescMessage, depth: number): ReflectMessage {
    const close = this.openMessage();
    const sub = reflect(desc);
    this.parseFields(sub, close, depth + 1);
    this.tok.consume(close);
    return sub;
  }

  private parseMapEntry(msg: ReflectMessage, field: DescField & { fieldKind: 'map' }, depth: number): void {
    const close = this.openMessage();
    if (depth + 1 > this.recursionLimit) throw this.tok.error(`Message nesting deeper than ${this.recursionLimit}.`, this.tok.peek().pos);
    let key: unknown;
    let value: unknown;
    for (;;) {
      const t = this.tok.next();
      if (t.kind === 'punct' && t.text === close) break;
      if (t.kind !== 'ident' || (t.text !== 'key' && t.text !== 'value')) {
        if (t.kind === 'ident') throw this.tok.error(`Map entry of field "${field.name}" has no field named "${t.text}".`, t.pos, t.text);
        throw this.tok.error(t.kind === 'eof' ? `Expected "${close}".` : `Expected "key" or "value", got ${describe(t)}.`, t.pos);
      }
      if ((t.text === 'key' ? key : value) !== undefined)
        throw this.tok.error(`Map entry of field "${field.name}" should not have multiple "${t.text}" fields.`, t.pos, t.text);
      if (t.text === 'key') {
        this.tok.consume(':', 'after "key"');
        key = this.parseScalar(field.mapKey, field.name);
      } else if (field.mapKind === 'message') {
        this.tok.tryConsume(':');
        value = this.parseMessageValue(field.message, depth + 1);
      } else {
        this.tok.consume(':', 'after "value"');
        value = field.mapKind === 'enum' ? this.parseEnum(field.enum, field.name) : this.parseScalar(field.scalar, field.name);
      }
      if (!this.tok.tryConsume(',')) this.tok.tryConsume(';');
    }
    key ??= zeroScalar(field.mapKey);
    value ??=
      field.mapKind === 'message'
        ? reflect(field.message)
        : field.mapKind === 'enum'
          ? field.enum.values[0].number
          : zeroScalar(field.scalar);
    msg.get(field).set(key, value);
  }

  private parseAnyExpansion(msg: ReflectMessage, typeUrl: string, pos: number, depth: number): void {
    const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    const desc = this.reg.getMessage(typeName);
    if (!desc) throw this.tok.error(`Can't find ${typeUrl} in the registry for the expanded google.protobuf.Any.`, pos, typeUrl);
    const [typeUrlField, valueField] = [1, 2].map((n) => msg.desc.fields.find((f) => f.number === n)!);
    if (msg.isSet(typeUrlField) || msg.isSet(valueField))
      throw this.tok.error('google.protobuf.Any cannot mix the expanded form with type_url/value.', pos);
    this.tok.tryConsume(':');
    const inner = this.parseMessageValue(desc, depth);
    msg.set(typeUrlField, typeUrl);
    msg.set(valueField, toBinary(desc, inner.message));
  }

  private parseEnum(desc: DescEnum, fieldName: string): number {
    const t = this.tok.peek();
    const negative = t.kind === 'punct' && t.text === '-';
    if (negative) this.tok.next();
    const v = this.tok.next();
    if (v.kind === 'ident' && !negative) {
      const value = desc.values.find((x) => x.name === v.text);
      if (!value) throw this.tok.error(`Enum type "${desc.typeName}" has no value named ${v.text}.`, v.pos, fieldName);
      return value.number;
    }
    if (v.kind === 'number') {
      const n = parseInteger(v.text, negative);
      if (n === undefined || n < -(2n ** 31n) || n >= 2n ** 31n)
        throw this.tok.error(`Couldn't parse integer: ${negative ? '-' : ''}${v.text}.`, v.pos, fieldName);
      const num = Number(n);
      if (!desc.open && !desc.values.some((x) => x.number === num)) {
        throw this.tok.error(`Enum type "${desc.typeName}" has no value with number ${num}.`, v.pos, fieldName);
      }
      return num;
    }
    throw this.tok.error(`Expected an enum value for field "${fieldName}", got ${describe(v)}.`, v.pos, fieldName);
  }

  private parseScalar(type: ScalarType, fieldName: string): unknown {
    if (type === ScalarType.STRING || type === ScalarType.BYTES) {
      const first = this.tok.next();
      if (first.kind !== 'string')
        throw this.tok.error(`Expected string for field "${fieldName}", got ${describe(first)}.`, first.pos, fieldName);
      const parts = [first.bytes!];
      while (this.tok.peek().kind === 'string') parts.push(this.tok.next().bytes!);
      const bytes = parts.length === 1 ? parts[0] : concat(parts);
      if (type === ScalarType.BYTES) return bytes;
      try {
        return utf8Strict.decode(bytes);
      } catch {
        throw this.tok.error(`String field "${fieldName}" is not valid UTF-8.`, first.pos, fieldName);
      }
    }
    const start = this.tok.peek();
    const negative = start.kind === 'punct' && start.text === '-';
    if (negative) this.tok.next();
    const t = this.tok.next();
    const shown = `${negative ? '-' : ''}${t.text}`;
    const fail = (what: string): never => {
      throw this.tok.error(`${what}: ${t.kind === 'eof' ? 'end of input' : shown} (field "${fieldName}").`, t.pos, fieldName);
    };
    if (t.kind !== 'number' && t.kind !== 'ident') fail('Expected a value');
    switch (type) {
      case ScalarType.BOOL: {
        if (negative) fail("Couldn't parse bool");
        if (['true', 't', 'True', '1'].includes(t.text)) return true;
        if (['false', 'f', 'False', '0'].includes(t.text)) return false;
        return fail("Couldn't parse bool");
      }
      case ScalarType.FLOAT:
      case ScalarType.DOUBLE: {
        const v = parseFloatText(t.text, t.kind);
        if (v === undefined) return fail("Couldn't parse float");
        // A float field holds what float32 can: the value decoding the binary form would give.
        return type === ScalarType.FLOAT ? Math.fround(negative ? -v : v) : negative ? -v : v;
      }
      default: {
        if (t.kind !== 'number') fail("Couldn't parse integer");
        const n = parseInteger(t.text, negative);
        if (n === undefined) return fail("Couldn't parse integer");
        const [lo, hi, is64] = INT_RANGES[type];
        if (n < lo || n > hi) fail('Integer out of range');
        return is64 ? n : Number(n);
      }
    }
  }
}

const INT_RANGES: Record<number, [bigint, bigint, boolean]> = {
  [ScalarType.INT32]: [-(2n ** 31n), 2n ** 31n - 1n, false],
  [ScalarType.SINT32]: [-(2n ** 31n), 2n ** 31n - 1n, false],
  [ScalarType.SFIXED32]: [-(2n ** 31n), 2n ** 31n - 1n, false],
  [ScalarType.UINT32]: [0n, 2n ** 32n - 1n, false],
  [ScalarType.FIXED32]: [0n, 2n ** 32n - 1n, false],
  [ScalarType.INT64]: [-(2n ** 63n), 2n ** 63n - 1n, true],
  [ScalarType.SINT64]: [-(2n ** 63n), 2n ** 63n - 1n, true],
  [ScalarType.SFIXED64]: [-(2n ** 63n), 2n ** 63n - 1n, true],
  [ScalarType.UINT64]: [0n, 2n ** 64n - 1n, true],
  [ScalarType.FIXED64]: [0n, 2n ** 64n - 1n, true],
};

// Decimal, 0x hex and C octal (leading 0), as Python's text_format accepts.
function parseInteger(text: string, negative: boolean): bigint | undefined {
  let v: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) v = BigInt(text);
  else if (/^0[0-7]+$/.test(text)) v = BigInt(`0o${text.slice(1)}`);
  else if (/^(0|[1-9][0-9]*)$/.test(text)) v = BigInt(text);
  else return undefined;
  return negative ? -v : v;
}

// Python's ParseFloat: a float literal, an optional f suffix, inf/infinity/nan in any case.
function parseFloatText(text: string, kind: TokenKind): number | undefined {
  if (kind === 'ident') {
    const t = text.toLowerCase();
    for (const w of [t, t.replace(/f$/, '')]) {
      if (w === 'inf' || w === 'infinity') return Infinity;
      if (w === 'nan') return NaN;
    }
    return undefined;
  }
  if (/^0[xX]/.test(text)) return undefined;
  const v = Number(text.replace(/[fF]$/, ''));
  return Number.isNaN(v) ? undefined : v;
}

function zeroScalar(type: ScalarType): unknown {
  switch (type) {
    case ScalarType.STRING:
      return '';
    case ScalarType.BYTES:
      return new Uint8Array(0);
    case ScalarType.BOOL:
      return false;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 0n;
    default:
      return 0;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
