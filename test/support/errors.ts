// Error assertions shared by the bad-input tests.
import { expect } from 'vitest';
import { ArgumentError } from '../../lib/core/errors';

/** The error a promise rejects with or a function throws (sync or async); fails when there is none. */
export async function catchError(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** The error a function throws synchronously; fails when there is none. */
export function catchErrorSync<E = Error>(f: () => unknown): E {
  try {
    f();
  } catch (e) {
    return e as E;
  }
  throw new Error('did not throw');
}

/** The `param` of the ArgumentError `f` throws synchronously (another error fails the test), or 'no error'. */
export function thrownParam(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentError);
    return (e as ArgumentError).param;
  }
  return 'no error';
}

/** An ArgumentError whose `param` is `param`, named in the message too. */
export async function expectArgumentError(p: Promise<unknown> | (() => unknown), param: string): Promise<ArgumentError> {
  const e = await catchError(p);
  expect(e).toBeInstanceOf(ArgumentError);
  expect((e as ArgumentError).param).toBe(param);
  expect(e.message).toContain(param);
  return e as ArgumentError;
}
