/**
 * Where a session run executes: on the JS thread (blocking it, the fastest way: no thread hop, no
 * Promise) or on the addon's pool (the event loop keeps turning, ~50–100 µs more per run). In
 * `'auto'` mode short runs go to the JS thread and the event loop still gets a turn about every
 * `maxBlockMs`. Why, and what each mode does: docs/run-modes.md.
 */
import { invalidArgument } from './errors';

/**
 * - `'async'`: always on the pool. The event loop is never blocked by TF.
 * - `'sync'`: always on the JS thread; before a run, the event loop is given a turn when it has
 *   not had one for `maxBlockMs`.
 * - `'auto'`: a run expected to take less than `maxBlockMs` runs on the JS thread, a longer one on
 *   the pool. The expectation is per run plan (the same fetches and feeds), from its recent
 *   durations (see {@link RunScheduler.record}): a plan seen for the first time goes to the pool
 *   (it may block: a dequeue, a first run that builds TF's executor). Before a run on the JS
 *   thread, the event loop gets a turn when the time since its last one plus the expected
 *   duration would exceed `maxBlockMs`.
 */
export type RunMode = 'auto' | 'async' | 'sync';

export const RUN_MODES: readonly RunMode[] = ['auto', 'async', 'sync'];

/** Default longest stretch (ms) of JS-thread runs without a turn of the event loop. */
export const DEFAULT_MAX_BLOCK_MS = 10;

/** What the scheduler keeps per run plan. */
export interface RunTiming {
  /** Expected duration in ms; NaN before the first run. */
  estimateMs: number;
  /** Runs measured so far (the first one counts only until the second replaces it). */
  runs: number;
}

export function newRunTiming(): RunTiming {
  return { estimateMs: NaN, runs: 0 };
}

export type RunPlace = 'thread' | 'pool' | 'yield';

export function checkRunMode(mode: unknown, param = 'runMode'): RunMode {
  if (typeof mode !== 'string' || !(RUN_MODES as readonly string[]).includes(mode)) {
    throw invalidArgument(param, `one of ${RUN_MODES.map((m) => `'${m}'`).join(', ')}`, mode);
  }
  return mode as RunMode;
}

export function checkMaxBlockMs(ms: unknown, param = 'maxBlockMs'): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) throw invalidArgument(param, 'a positive number of milliseconds', ms);
  return ms;
}

/**
 * Places runs (see {@link RunMode}). It knows the event loop turned when it yielded itself, when a
 * pool run completed (its result arrives in a later macrotask), or when a setImmediate it left
 * after a run on the JS thread ran (the caller awaited a timer between steps). One scheduler
 * serves one training loop: the monitored session shares its own between the steps and the hooks'
 * runs, so a step that also saves a checkpoint is counted as a whole.
 */
export class RunScheduler {
  readonly mode: RunMode;
  readonly maxBlockMs: number;
  /** The clock (ms): performance.now, or a test's. */
  readonly now: () => number;
  /** When the event loop last had a turn, as far as this scheduler knows. */
  private lastTurn: number;
  /** Turns this scheduler gave the event loop itself (for tests and diagnostics). */
  yields = 0;
  /** A setImmediate is pending that records the next turn the event loop takes by itself. */
  private watching = false;

  constructor(mode: RunMode = 'auto', maxBlockMs = DEFAULT_MAX_BLOCK_MS, now: () => number = () => performance.now()) {
    this.mode = checkRunMode(mode);
    this.maxBlockMs = checkMaxBlockMs(maxBlockMs);
    this.now = now;
    this.lastTurn = now();
  }

  /** Where the next run of a plan with this timing goes: the JS thread, the pool, or first a turn of the event loop. */
  place(timing: RunTiming): RunPlace {
    if (this.mode === 'async') return 'pool';
    let expected = 0;
    if (this.mode === 'auto') {
      expected = timing.estimateMs;
      if (!(expected < this.maxBlockMs)) return 'pool'; // NaN (never run) included
    }
    if (this.now() - this.lastTurn + expected > this.maxBlockMs) return 'yield';
    this.watchForTurn();
    return 'thread';
  }

  /**
   * Notes the next turn the event loop takes without our asking (the caller awaited a timer or I/O
   * between steps), so that no turn is forced where one just happened. One setImmediate at a time.
   */
  private watchForTurn(): void {
    if (this.watching) return;
    this.watching = true;
    setImmediate(() => {
      this.watching = false;
      this.lastTurn = this.now();
    });
  }

  /**
   * Records a run's duration (ms) in its plan's timing. On the JS thread the duration is exact: a
   * longer run than expected raises the estimate at once, a shorter one lowers it gradually. On
   * the pool it is the latency seen from JS (the run, the thread hops and any wait of the event
   * loop): an upper bound of the run's own time, so it replaces the estimate; otherwise one slow
   * round trip (a busy event loop) would keep a short plan on the pool for many runs.
   */
  record(timing: RunTiming, ms: number, onPool = false): void {
    // The first run of a plan includes building TF's executor for it: the second replaces it.
    if (onPool || timing.runs <= 1 || ms > timing.estimateMs) timing.estimateMs = ms;
    else timing.estimateMs = 0.75 * timing.estimateMs + 0.25 * ms;
    timing.runs++;
  }

  /** Notes that the event loop just had a turn (a pool run completed). */
  turned(): void {
    this.lastTurn = this.now();
  }

  /** A turn of the event loop (timers, I/O, signals), then the scheduler knows it happened. */
  yieldTurn(): Promise<void> {
    this.yields++;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.lastTurn = this.now();
        resolve();
      }),
    );
  }
}
