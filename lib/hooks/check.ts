/**
 * Argument checks shared by the hooks' constructors, on top of lib/core/options.ts. Each throws an
 * ArgumentError naming the hook's own option (the name the caller wrote).
 */
import { invalidArgument } from '../core/errors';
import { Graph, Operation, Output } from '../core/graph';
import { checkOptionNames, checkPath } from '../core/options';

/** `unknown` when `K` lists every option of `T`; otherwise a type that names the missing ones. */
type ListsEvery<T, K> = [Exclude<keyof T, K>] extends [never] ? unknown : { missingOptionNames: Exclude<keyof T, K> };

/**
 * A hook's options object: a non-null, non-array object whose keys are all in `known` (a typo'd
 * option would otherwise silently become its default). `known` must list every key of the options
 * type: leaving one out is a compile error, as is listing a name the type does not have.
 */
export function checkHookOptions<T extends object, K extends keyof T & string>(
  opts: T,
  known: readonly K[] & ListsEvery<T, K>,
  owner: string,
): void {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw invalidArgument('options', 'an object', opts);
  checkOptionNames(opts, known, owner);
}

/** A `graph` option: a Graph, or null/undefined for "the session's". */
export function checkGraphOption(value: unknown, param = 'graph'): Graph | null {
  if (value === null || value === undefined) return null;
  if (!(value instanceof Graph)) throw invalidArgument(param, 'a Graph or null', value);
  return value;
}

/** An optional directory: null/undefined, or a path string without NUL ('' allowed: "no directory"/cwd, as in Python). */
export function checkOptionalDir(value: unknown, param: string): string | null {
  if (value === null || value === undefined) return null;
  return checkPath(value, param, { allowEmpty: true });
}

/** A tensor or operation: a non-empty name, an Output or an Operation. */
export function isTensorRef(value: unknown): boolean {
  return (typeof value === 'string' && value !== '') || value instanceof Output || value instanceof Operation;
}

/**
 * A fetch structure as a session run takes it: null, a non-empty tensor/op name, an Output, an
 * Operation, or arrays / plain objects of those. The error names the bad entry (`finalOps.acc`).
 */
export function checkFetch(value: unknown, param: string): void {
  if (value === null || isTensorRef(value)) return;
  if (isNamedObject(value)) return; // SessionLike's `{ readonly name: string }` (an Output-like of another session type)
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkFetch(v, `${param}[${i}]`));
    return;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) checkFetch(v, `${param}.${k}`);
    return;
  }
  throw invalidArgument(param, "a tensor name ('x:0'), an operation name, an Output, an Operation, or arrays/objects of those", value);
}

/** Feeds: null/undefined, a Map, or a plain object keyed by tensor name. */
export function checkFeeds(value: unknown, param: string): void {
  if (value === null || value === undefined || value instanceof Map || isPlainObject(value)) return;
  throw invalidArgument(param, "feeds (an object or Map keyed by tensor name, e.g. { 'x:0': value }) or null", value);
}

function isNamedObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || isPlainObject(value) || Array.isArray(value)) return false;
  const name = (value as { name?: unknown }).name;
  return typeof name === 'string' && name !== '';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
