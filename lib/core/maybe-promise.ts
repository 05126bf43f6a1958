/**
 * Values that are there now or later. The monitored-session chain and the hooks use them to stay
 * synchronous while nothing has to wait (when its runs happen on the JS thread, a whole step can be): each `await` costs
 * an async frame and a microtask turn, which add up to microseconds per step (bench/README.md).
 */

/** A value now, or a Promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** Whether `v` must be awaited (a Promise, or any object with a `then` method, as `await` decides). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/** `f(v)` at once when `v` is a value; after it settles when it is a Promise. */
export function andThen<T, R>(v: MaybePromise<T>, f: (value: T) => R | Promise<R>): MaybePromise<R> {
  return isThenable(v) ? Promise.resolve(v).then(f) : f(v as T);
}
