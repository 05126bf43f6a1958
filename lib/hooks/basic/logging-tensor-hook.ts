/**
 * `LoggingTensorHook`: logs tensor values every N local steps, every N seconds, or at the end
 * (Python's `LoggingTensorHook`), with numpy's way of printing values.
 */
import { ValueError, invalidArgument } from '../../core/errors';
import { canonicalTensorName, fetchName } from '../../core/fetches';
import { formatTensorValue } from '../../core/numpy-format';
import * as logging from '../../core/logging';
import type { SessionLike } from '../../core/session-like';
import { type Clock, type HookTimer, NeverTriggerTimer, SecondOrStepTimer } from '../second-or-step-timer';
import { checkBoolean } from '../../core/options';
import { checkHookOptions } from '../check';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from '../session-run-hook';

type TensorRef = string | { readonly name: string };

export interface LoggingTensorHookOptions {
  /**
   * What to log: an object tag → tensor (logged in sorted tag order), or an array of tensors (logged
   * in array order, each tagged with its name). A name without `:` means output 0 (`'loss'` → `'loss:0'`).
   */
  tensors: Readonly<Record<string, TensorRef>> | readonly TensorRef[];
  /** Log once every N local runs (this hook's own count, not the global step). */
  everyNIter?: number | null;
  /** Log at most once every N seconds. */
  everyNSecs?: number | null;
  /** Also log in `end()`, from a run of its own. */
  atEnd?: boolean;
  /** Turns tag → value into the logged line instead of `tag = value, ...`. */
  formatter?: ((values: Record<string, unknown>) => string) | null;
  /** Seconds for `everyNSecs` and the elapsed time; tests inject their own. */
  clock?: Clock;
}

const OPTION_NAMES = ['tensors', 'everyNIter', 'everyNSecs', 'atEnd', 'formatter', 'clock'] satisfies Array<keyof LoggingTensorHookOptions>;

/**
 * Logs at INFO `loss = 4.0, step = 1`, then `loss = 1.6384, step = 3 (0.011 sec)` with the seconds
 * since the previous line. Values print as numpy prints them (with `suppress=True`).
 *
 * @example
 * new LoggingTensorHook({ tensors: { loss: 'loss:0', step: 'global_step:0' }, everyNIter: 100 })
 */
export class LoggingTensorHook extends SessionRunHook {
  private readonly tagOrder: string[];
  /** Tag → fetch; names without an output index get `:0`. */
  private readonly fetches: Record<string, TensorRef>;
  private readonly formatter: ((values: Record<string, unknown>) => string) | null;
  private readonly timer: HookTimer;
  private readonly logAtEnd: boolean;
  private iterCount = 0;
  private shouldTrigger = false;

  constructor(opts: LoggingTensorHookOptions) {
    super();
    checkHookOptions(opts, OPTION_NAMES, 'LoggingTensorHook');
    const { tensors, everyNIter = null, everyNSecs = null, atEnd = false, formatter = null, clock } = opts;
    checkBoolean(atEnd, 'atEnd');
    const onlyLogAtEnd = atEnd && everyNIter === null && everyNSecs === null;
    if (!onlyLogAtEnd && (everyNIter === null) === (everyNSecs === null)) {
      throw new ValueError('either at_end and/or exactly one of every_n_iter and every_n_secs must be provided.');
    }
    if (everyNIter !== null && typeof everyNIter !== 'number') throw invalidArgument('everyNIter', 'a number', everyNIter);
    if (everyNIter !== null && everyNIter <= 0) throw new ValueError(`invalid every_n_iter=${everyNIter}.`);
    if (everyNSecs !== null && !Number.isFinite(everyNSecs)) throw invalidArgument('everyNSecs', 'a number', everyNSecs);
    if (formatter !== null && typeof formatter !== 'function') throw invalidArgument('formatter', 'a function', formatter);
    if (tensors === null || typeof tensors !== 'object') throw invalidArgument('tensors', 'an object or array of tensors', tensors);

    const asFetch = (t: TensorRef) => (typeof t === 'string' ? canonicalTensorName(t) : t);
    if (Array.isArray(tensors)) {
      this.tagOrder = tensors.map((t, i) => {
        const name = fetchName(t);
        if (!name) throw invalidArgument(`tensors[${i}]`, 'a tensor name or an Output', t);
        return name;
      });
      this.fetches = Object.fromEntries(this.tagOrder.map((tag, i) => [tag, asFetch(tensors[i])]));
    } else {
      const entries = Object.entries(tensors as Readonly<Record<string, TensorRef>>);
      for (const [tag, t] of entries) {
        if (!fetchName(t)) throw invalidArgument(`tensors.${tag}`, 'a tensor name or an Output', t);
      }
      this.tagOrder = entries.map(([tag]) => tag).sort();
      this.fetches = Object.fromEntries(entries.map(([tag, t]) => [tag, asFetch(t)]));
    }
    this.formatter = formatter;
    this.timer = onlyLogAtEnd
      ? new NeverTriggerTimer()
      : new SecondOrStepTimer(
          { everySecs: everyNSecs, everySteps: everyNIter, clock },
          { everySecs: 'everyNSecs', everySteps: 'everyNIter' },
        );
    this.logAtEnd = atEnd;
  }

  override begin(): void {
    this.timer.reset();
    this.iterCount = 0;
  }

  override beforeRun(_runContext: SessionRunContext): SessionRunArgs | null {
    this.shouldTrigger = this.timer.shouldTriggerForStep(this.iterCount);
    return this.shouldTrigger ? new SessionRunArgs(this.fetches) : null;
  }

  override afterRun(_runContext: SessionRunContext, runValues: SessionRunValues): void {
    if (this.shouldTrigger) this.logTensors(runValues.results);
    this.iterCount++;
  }

  override async end(session: SessionLike): Promise<void> {
    if (this.logAtEnd) this.logTensors((await session.run(this.fetches)) as Record<string, unknown>);
  }

  private logTensors(values: Record<string, unknown>): void {
    const [elapsedSecs] = this.timer.updateLastTriggeredStep(this.iterCount);
    if (this.formatter) {
      logging.info(this.formatter(values));
      return;
    }
    const stats = this.tagOrder.map((tag) => `${tag} = ${formatTensorValue(values[tag])}`).join(', ');
    logging.info(elapsedSecs === null ? stats : `${stats} (${elapsedSecs.toFixed(3)} sec)`);
  }
}

/** numpy's `str()` of a fetched value (lib/core/numpy-format.ts); exported here for the hook's users. */
export { formatTensorValue };
