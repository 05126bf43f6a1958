/**
 * A coordinator for background work (Python's `tf.train.Coordinator`). In Node the "threads" are
 * async loops: Promises registered with the coordinator, or functions started by it. They check
 * {@link Coordinator.shouldStop} (or await {@link Coordinator.waitForStop}) and end when asked;
 * the first error reported stops everything and is re-raised by {@link Coordinator.join}.
 *
 * @example
 * const coord = new Coordinator();
 * coord.startThread(async (c) => { while (!c.shouldStop()) await prefetchOne(); }, 'prefetch');
 * ...
 * coord.requestStop();
 * await coord.join({ stopGracePeriodSecs: 5 });
 */
import { OutOfRangeError, RuntimeError } from '../core/errors';
import * as logging from './logging';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => unknown;

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
   * recorded. Default `[OutOfRangeError]`; MonitoredSession passes `[]`.
   */
  cleanStopExceptionTypes?: readonly ErrorClass[];
}

export interface JoinOptions {
  /** Threads to wait for in addition to the registered ones. */
  threads?: Iterable<CoordinatedThread | PromiseLike<unknown>> | null;
  /** Time given to the threads to end once a stop was requested. Default 120. */
  stopGracePeriodSecs?: number;
  /** Log instead of throwing when threads are still running after the grace period. Default false. */
  ignoreLiveThreads?: boolean;
}

const NO_ERROR = Symbol('no error');

export class Coordinator {
  private readonly cleanTypes: readonly ErrorClass[];
  private stopped = false;
  private wakeStopWaiters: () => void = () => {};
  private stopSignal: Promise<void> = this.newStopSignal();
  private stored: unknown = NO_ERROR;
  private joinedFlag = false;
  private registered = new Set<CoordinatedThread>();
  private threadCount = 0;

  constructor({ cleanStopExceptionTypes = [OutOfRangeError] }: CoordinatorOptions = {}) {
    this.cleanTypes = [...cleanStopExceptionTypes];
  }

  private newStopSignal(): Promise<void> {
    return new Promise<void>((resolve) => { this.wakeStopWaiters = resolve; });
  }

  private isClean(ex: unknown): boolean {
    return this.cleanTypes.some((T) => ex instanceof T);
  }

  /**
   * Asks all threads to stop. The first error given (that is not a clean-stop type) is recorded and
   * re-raised by `join()`, `raiseRequestedException()` and the monitored session. After `join()`,
   * an error given here is thrown at once.
   */
  requestStop(ex?: unknown): void {
    const error = ex === undefined || ex === null || this.isClean(ex) ? NO_ERROR : ex;
    if (this.joinedFlag && error !== NO_ERROR) throw error;
    if (this.stopped) return;
    if (error !== NO_ERROR && this.stored === NO_ERROR) {
      const e = error as { name?: unknown; message?: unknown };
      logging.info(`Error reported to Coordinator: ${String(e?.name ?? typeof error)}, ${String(e?.message ?? error)}`);
      this.stored = error;
    }
    this.stopped = true;
    this.wakeStopWaiters();
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

  /** Resolves true once a stop is requested, or false after `timeoutSecs` (waits forever when omitted). */
  async waitForStop(timeoutSecs?: number | null): Promise<boolean> {
    if (this.stopped) return true;
    if (timeoutSecs === undefined || timeoutSecs === null) {
      await this.stopSignal;
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), Math.max(0, timeoutSecs * 1000)); });
    try {
      return await Promise.race([this.stopSignal.then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs `fn`; if it throws, the error is reported with `requestStop(error)` and not rethrown
   * (Python's `with coord.stop_on_exception():`).
   */
  async stopOnException<T>(fn: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      this.requestStop(e);
      return undefined;
    }
  }

  /**
   * Registers background work to be joined. A Promise is wrapped as a thread; if it rejects, the
   * error is reported with `requestStop(error)` (a Node promise cannot die silently as a thread can).
   */
  registerThread(thread: CoordinatedThread | PromiseLike<unknown>, name?: string): CoordinatedThread {
    const t = isThread(thread) ? thread : this.wrap(thread, name);
    this.registered.add(t);
    return t;
  }

  /** Starts `fn(coord)` as a registered thread; an error it throws is reported with `requestStop`. */
  startThread(fn: (coord: Coordinator) => unknown, name?: string): CoordinatedThread {
    return this.registerThread(Promise.resolve().then(() => fn(this)), name);
  }

  private wrap(p: PromiseLike<unknown>, name?: string): CoordinatedThread {
    let alive = true;
    const done = Promise.resolve(p).then(
      () => { alive = false; },
      (e) => {
        alive = false;
        try { this.requestStop(e); } catch { /* joined already: the error has nowhere to go */ }
      },
    );
    return { name: name ?? `Thread-${++this.threadCount}`, done, isAlive: () => alive };
  }

  /**
   * Waits for the registered threads (and `threads`) to end. Once a stop is requested they get
   * `stopGracePeriodSecs` to finish. Then raises the recorded error if any; otherwise, with threads
   * still running, throws `RuntimeError('Coordinator stopped with threads still running: <names>')`
   * or, with `ignoreLiveThreads`, logs that line at INFO.
   */
  async join({ threads = null, stopGracePeriodSecs = 120, ignoreLiveThreads = false }: JoinOptions = {}): Promise<void> {
    const all = new Set(this.registered);
    for (const t of threads ?? []) all.add(isThread(t) ? t : this.wrap(t));
    const list = [...all];
    const allDone = Promise.all(list.map((t) => t.done));

    await Promise.race([allDone, this.stopSignal]);
    if (list.some((t) => t.isAlive())) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, Math.max(0, stopGracePeriodSecs) * 1000); });
      try {
        await Promise.race([allDone, grace]);
      } finally {
        clearTimeout(timer);
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

function isThread(t: unknown): t is CoordinatedThread {
  return t !== null && typeof t === 'object' && typeof (t as CoordinatedThread).isAlive === 'function'
    && typeof (t as CoordinatedThread).name === 'string' && (t as CoordinatedThread).done instanceof Promise;
}
