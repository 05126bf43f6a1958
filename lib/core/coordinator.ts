/**
 * A coordinator for background work (Python's `tf.train.Coordinator`). In Node the "threads" are
 * async loops: Promises registered with the coordinator, or functions started by it. They check
 * {@link Coordinator.shouldStop} (or await {@link Coordinator.waitForStop}) and end when asked;
 * the first error reported stops everything and is re-raised by {@link Coordinator.join}.
 */
import { inspect, types } from 'node:util';
import { OutOfRangeError, RuntimeError, invalidArgument } from './errors';
import { checkBoolean, checkOptionsObject } from './options';
import * as logging from './logging';

export type ErrorClass = abstract new (...args: never[]) => unknown;

/** A registered unit of background work. */
export interface CoordinatedThread {
  readonly name: string;
  /** Settles (never rejects) when the work has ended. */
  readonly done: Promise<void>;
  isAlive(): boolean;
}

export interface CoordinatorOptions {
  /**
   * Errors of these classes (instanceof) passed to `requestStop` count as a clean stop and are not
   * recorded. Default (undefined or null, Python's None) `[OutOfRangeError]`; MonitoredSession passes `[]`.
   */
  cleanStopExceptionTypes?: readonly ErrorClass[] | null;
}

export interface JoinOptions {
  /** Threads to wait for in addition to the registered ones. */
  threads?: Iterable<CoordinatedThread | PromiseLike<unknown>> | null;
  /** Time given to the threads to end once a stop was requested: a number ≥ 0, `Infinity` waits without a limit. Default 120. */
  stopGracePeriodSecs?: number;
  /** Log instead of throwing when threads are still running after the grace period. Default false. */
  ignoreLiveThreads?: boolean;
}

const NO_ERROR = Symbol('no error');
const COORDINATOR_OPTIONS = ['cleanStopExceptionTypes'] as const;
const JOIN_OPTIONS = ['threads', 'stopGracePeriodSecs', 'ignoreLiveThreads'] as const;
/** The longest delay setTimeout takes (2^31 - 1 ms); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const isError = (v: unknown): v is Error => v instanceof Error || types.isNativeError(v);

/**
 * A short description of any value, for messages and logs. Never throws: null-prototype objects,
 * Symbols, Proxies and objects whose `toString`/inspect hook throws are all described.
 */
export function describeValue(value: unknown): string {
  try {
    if (value === undefined) return 'undefined';
    if (value === null) return 'null';
    if (typeof value === 'string') return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${inspect(value)}`;
    if (typeof value === 'symbol') return value.toString();
    const text = inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 60, customInspect: false });
    return text.length > 200 ? `${text.slice(0, 197)}...` : text;
  } catch {
    return typeof value === 'function' ? 'a function' : 'an object that cannot be described';
  }
}

/** `name, message` of an error for the "Error reported to Coordinator" line; never throws. */
function errorSummary(e: Error): string {
  let name: string;
  let message: string;
  try {
    name = String(e.name);
  } catch {
    name = 'Error';
  }
  try {
    message = String(e.message);
  } catch {
    message = describeValue(e);
  }
  return `${name}, ${message}`;
}

/**
 * The error to record for a value a coordinated thread threw (or rejected with). An Error is kept
 * as is; any other value (undefined, null, a string, a number, a null-prototype object, ...) is
 * wrapped in an Error saying what was thrown, with the value as `cause`, so that nothing a thread
 * throws is lost and `join()` always re-raises an Error.
 */
export function thrownAsError(value: unknown, what = 'A coordinated thread threw'): Error {
  if (isError(value)) return value;
  return new Error(`${what} a non-Error value: ${describeValue(value)}`, { cause: value });
}

/** Resolves after `ms` (finite, ≥ 0), in chunks setTimeout can take. `cancel()` clears the pending timer. */
function delay(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const promise = new Promise<void>((resolve) => {
    const deadline = Date.now() + ms;
    const arm = (left: number) => {
      timer = setTimeout(
        () => {
          const rest = deadline - Date.now();
          if (rest > 0 && !cancelled) arm(rest);
          else resolve();
        },
        Math.min(left, MAX_TIMER_MS),
      );
    };
    arm(ms);
  });
  return {
    promise,
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

/** A timeout in seconds: a number ≥ 0 (Infinity allowed); NaN, negatives and non-numbers are refused. */
function checkSeconds(value: unknown, param: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw invalidArgument(param, 'a non-negative number of seconds (Infinity waits without a limit)', value);
  }
  return value;
}

function checkErrorClasses(value: unknown): readonly ErrorClass[] {
  if (value === undefined || value === null) return [OutOfRangeError];
  if (typeof value !== 'object' || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalidArgument('cleanStopExceptionTypes', 'an array of error classes', value);
  }
  const list = [...(value as Iterable<unknown>)];
  list.forEach((T, i) => {
    const usable =
      typeof T === 'function' &&
      (typeof (T as { prototype?: unknown }).prototype === 'object' ||
        (T as { [Symbol.hasInstance]?: unknown })[Symbol.hasInstance] !== Function.prototype[Symbol.hasInstance]);
    if (!usable) throw invalidArgument(`cleanStopExceptionTypes[${i}]`, 'an error class', T);
  });
  return list as ErrorClass[];
}

/**
 * Python's `tf.train.Coordinator`, for async loops.
 *
 * @example
 * const coord = new Coordinator();
 * coord.startThread(async (c) => { while (!c.shouldStop()) await prefetchOne(); }, 'prefetch');
 * ...
 * coord.requestStop();
 * await coord.join({ stopGracePeriodSecs: 5 });
 */
export class Coordinator {
  private readonly cleanTypes: readonly ErrorClass[];
  private stopped = false;
  private wakeStopWaiters: () => void = () => {};
  private stopSignal: Promise<void> = this.newStopSignal();
  private stored: unknown = NO_ERROR;
  private joinedFlag = false;
  private registered = new Set<CoordinatedThread>();
  private threadCount = 0;

  constructor(options: CoordinatorOptions = {}) {
    const opts = checkOptionsObject<CoordinatorOptions>(options, 'options', COORDINATOR_OPTIONS, 'Coordinator');
    this.cleanTypes = checkErrorClasses(opts.cleanStopExceptionTypes);
  }

  private newStopSignal(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeStopWaiters = resolve;
    });
  }

  private isClean(ex: unknown): boolean {
    return this.cleanTypes.some((T) => {
      try {
        return ex instanceof T;
      } catch {
        return false; // a Symbol.hasInstance that throws: not a clean stop, the error is kept
      }
    });
  }

  /**
   * Asks all threads to stop. The first error given (that is not a clean-stop type) is recorded and
   * re-raised by `join()`, `raiseRequestedException()` and the monitored session. After `join()`,
   * an error given here is thrown at once.
   *
   * As Python's `request_stop(ex=None)` (`if ex:`), only a truthy `ex` is an error: undefined, null,
   * 0, false, '' and NaN request a plain stop. A truthy value that is not an Error is recorded
   * wrapped in an Error that describes it (the value is its `cause`). A value a coordinated thread
   * throws is always an error (see {@link thrownAsError}), falsy or not.
   */
  requestStop(ex?: unknown): void {
    const error = !ex || this.isClean(ex) ? NO_ERROR : thrownAsError(ex, 'requestStop() was given');
    if (this.joinedFlag && error !== NO_ERROR) throw error;
    if (this.stopped) return;
    if (error !== NO_ERROR && this.stored === NO_ERROR) {
      this.stored = error;
      logging.info(`Error reported to Coordinator: ${errorSummary(error)}`);
    }
    this.stopped = true;
    this.wakeStopWaiters();
  }

  /**
   * Reports a value a coordinated thread threw: an Error as is, anything else wrapped (so a thread
   * throwing undefined, 0 or a null-prototype object still stops everything with an error). After
   * `join()` the error has nowhere to go and is logged at ERROR (Python's dying thread prints it).
   */
  private reportThrown(value: unknown, name: string): void {
    const error = thrownAsError(value, `Thread ${name} threw`);
    try {
      this.requestStop(error);
    } catch {
      logging.error(`Exception in thread ${name} after the coordinator was joined: ${errorSummary(error)}`);
    }
  }

  /** Clears the stop request and the recorded error; `shouldStop()` is false again. */
  clearStop(): void {
    this.joinedFlag = false;
    this.stored = NO_ERROR;
    if (this.stopped) {
      this.stopped = false;
      this.stopSignal = this.newStopSignal();
    }
  }

  shouldStop(): boolean {
    return this.stopped;
  }

  /**
   * Resolves true once a stop is requested, or false after `timeoutSecs` (a number ≥ 0). Waits
   * without a limit when it is undefined, null (Python's None) or Infinity.
   */
  async waitForStop(timeoutSecs?: number | null): Promise<boolean> {
    const timeout = timeoutSecs === undefined || timeoutSecs === null ? Infinity : checkSeconds(timeoutSecs, 'timeoutSecs');
    if (this.stopped) return true;
    if (timeout === Infinity) {
      await this.stopSignal;
      return true;
    }
    const timer = delay(timeout * 1000);
    try {
      return await Promise.race([this.stopSignal.then(() => true as const), timer.promise.then(() => false as const)]);
    } finally {
      timer.cancel();
    }
  }

  /**
   * Runs `fn`; if it throws, the error is reported with `requestStop(error)` and not rethrown
   * (Python's `with coord.stop_on_exception():`).
   */
  async stopOnException<T>(fn: () => T | Promise<T>): Promise<T | undefined> {
    if (typeof fn !== 'function') throw invalidArgument('fn', 'a function', fn);
    try {
      return await fn();
    } catch (e) {
      this.requestStop(thrownAsError(e, 'The function given to stopOnException() threw'));
      return undefined;
    }
  }

  /**
   * Registers background work to be joined. A Promise is wrapped as a thread; if it rejects, the
   * error is reported with `requestStop(error)` (a Node promise cannot die silently as a thread can).
   */
  registerThread(thread: CoordinatedThread | PromiseLike<unknown>, name?: string): CoordinatedThread {
    if (name !== undefined && typeof name !== 'string') throw invalidArgument('name', 'a string', name);
    if (!isThread(thread) && !isThenable(thread)) throw invalidArgument('thread', 'a CoordinatedThread or a Promise', thread);
    const t = isThread(thread) ? thread : this.wrap(thread, name);
    this.registered.add(t);
    return t;
  }

  /** Starts `fn(coord)` as a registered thread; an error it throws is reported with `requestStop`. */
  startThread(fn: (coord: Coordinator) => unknown, name?: string): CoordinatedThread {
    if (typeof fn !== 'function') throw invalidArgument('fn', 'a function', fn);
    if (name !== undefined && typeof name !== 'string') throw invalidArgument('name', 'a string', name);
    return this.registerThread(
      Promise.resolve().then(() => fn(this)),
      name,
    );
  }

  private wrap(p: PromiseLike<unknown>, name?: string): CoordinatedThread {
    let alive = true;
    const threadName = name ?? `Thread-${++this.threadCount}`;
    const done = Promise.resolve(p).then(
      () => {
        alive = false;
      },
      (e) => {
        alive = false;
        this.reportThrown(e, threadName);
      },
    );
    return { name: threadName, done, isAlive: () => alive };
  }

  /**
   * Waits for the registered threads (and `threads`) to end. Once a stop is requested they get
   * `stopGracePeriodSecs` to finish. Then raises the recorded error if any; otherwise, with threads
   * still running, throws `RuntimeError('Coordinator stopped with threads still running: <names>')`
   * or, with `ignoreLiveThreads`, logs that line at INFO.
   */
  async join(options: JoinOptions = {}): Promise<void> {
    const opts = checkOptionsObject<JoinOptions>(options, 'options', JOIN_OPTIONS, 'Coordinator.join');
    const { threads = null, stopGracePeriodSecs = 120, ignoreLiveThreads = false } = opts;
    // Python's join takes a float (None is a TypeError there); Infinity waits without a limit.
    const grace = checkSeconds(stopGracePeriodSecs, 'stopGracePeriodSecs');
    checkBoolean(ignoreLiveThreads, 'ignoreLiveThreads');
    const given = checkThreads(threads);

    const all = new Set(this.registered);
    for (const t of given) all.add(isThread(t) ? t : this.wrap(t));
    const list = [...all];
    const allDone = Promise.all(list.map((t) => t.done));

    await Promise.race([allDone, this.stopSignal]);
    if (list.some((t) => t.isAlive())) {
      if (grace === Infinity) {
        await allDone;
      } else {
        const timer = delay(grace * 1000);
        try {
          await Promise.race([allDone, timer.promise]);
        } finally {
          timer.cancel();
        }
      }
    }
    const stragglers = list.filter((t) => t.isAlive()).map((t) => t.name);

    this.joinedFlag = true;
    this.registered = new Set();
    if (this.stored !== NO_ERROR) throw this.stored;
    if (stragglers.length > 0) {
      const message = `Coordinator stopped with threads still running: ${stragglers.join(' ')}`;
      if (!ignoreLiveThreads) throw new RuntimeError(message);
      logging.info(message);
    }
  }

  get joined(): boolean {
    return this.joinedFlag;
  }

  /** The error recorded by `requestStop`, or undefined. */
  get requestedError(): unknown {
    return this.stored === NO_ERROR ? undefined : this.stored;
  }

  /** Throws the error recorded by `requestStop`, if any. */
  raiseRequestedException(): void {
    if (this.stored !== NO_ERROR) throw this.stored;
  }
}

function isThenable(t: unknown): t is PromiseLike<unknown> {
  if (t === null || (typeof t !== 'object' && typeof t !== 'function')) return false;
  try {
    return typeof (t as PromiseLike<unknown>).then === 'function';
  } catch {
    return false;
  }
}

/** `join()`'s `threads`: null/undefined, or an iterable (not a string) of threads or Promises. */
function checkThreads(threads: unknown): Array<CoordinatedThread | PromiseLike<unknown>> {
  if (threads === undefined || threads === null) return [];
  if (typeof threads !== 'object' || typeof (threads as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalidArgument('threads', 'an array of CoordinatedThreads or Promises', threads);
  }
  const list = [...(threads as Iterable<unknown>)];
  list.forEach((t, i) => {
    if (!isThread(t) && !isThenable(t)) throw invalidArgument(`threads[${i}]`, 'a CoordinatedThread or a Promise', t);
  });
  return list as Array<CoordinatedThread | PromiseLike<unknown>>;
}

function isThread(t: unknown): t is CoordinatedThread {
  return (
    t !== null &&
    typeof t === 'object' &&
    typeof (t as CoordinatedThread).isAlive === 'function' &&
    typeof (t as CoordinatedThread).name === 'string' &&
    (t as CoordinatedThread).done instanceof Promise
  );
}
