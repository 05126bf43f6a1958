/**
 * Checks shared by every options object and path parameter of the package. Python rejects an
 * unknown keyword argument; an options object would silently ignore one, and a typo'd option
 * (`everyNStep`) would quietly become its default. A NUL character in a path is cut by the C
 * library (TF writes `dir/a` for `dir/a\0b`) while Node's fs rejects it: files would land in one
 * place and the bookkeeping in another.
 */
import { ArgumentError, invalidArgument } from './errors';

/**
 * Throws an ArgumentError naming the first key of `opts` that is not in `known`.
 * `owner` names whose options these are: "Unknown option 'everyNStep' for StepCounterHook (known options: ...)".
 */
export function checkOptionNames(opts: object, known: readonly string[], owner: string): void {
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) throw new ArgumentError(key, `Unknown option '${key}' for ${owner} (known options: ${known.join(', ')})`);
  }
}

/**
 * An options object (undefined is the default `{}`) whose keys are all in `known`; throws an
 * ArgumentError naming `param` when it is not an object, or the unknown key.
 */
export function checkOptionsObject<T extends object>(opts: unknown, param: string, known: readonly string[], owner: string): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw invalidArgument(param, 'an options object', opts);
  checkOptionNames(opts, known, owner);
  return opts as T;
}

/** A boolean (no truthiness: `'false'` is not false); `undefined` too when `optional`. */
export function checkBoolean(value: unknown, param: string, opts: { optional?: boolean } = {}): boolean | undefined {
  if (value === undefined && opts.optional) return undefined;
  if (typeof value !== 'boolean') throw invalidArgument(param, 'a boolean', value);
  return value;
}

/** A path parameter: a string without NUL characters (empty allowed only when `allowEmpty`). */
export function checkPath(value: unknown, param: string, opts: { allowEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') throw invalidArgument(param, 'a path (a string)', value);
  if (value.includes('\0')) throw invalidArgument(param, 'a path without NUL characters', value);
  if (value === '' && !opts.allowEmpty) throw invalidArgument(param, 'a non-empty path', value);
  return value;
}

/** A count or period: a finite number, optionally an integer, optionally > 0 or ≥ 0. */
export function checkNumber(value: unknown, param: string, opts: { integer?: boolean; min?: 'positive' | 'non-negative' } = {}): number {
  const what = [
    opts.min === 'positive' ? 'a positive' : opts.min === 'non-negative' ? 'a non-negative' : 'a finite',
    opts.integer ? 'integer' : 'number',
  ].join(' ');
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidArgument(param, what, value);
  if (opts.integer && !Number.isInteger(value)) throw invalidArgument(param, what, value);
  if (opts.min === 'positive' && !(value > 0)) throw invalidArgument(param, what, value);
  if (opts.min === 'non-negative' && !(value >= 0)) throw invalidArgument(param, what, value);
  return value;
}
