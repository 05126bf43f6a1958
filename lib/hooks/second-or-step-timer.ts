/**
 * Timers that decide when a hook acts: every N seconds or every N steps (Python's
 * `SecondOrStepTimer` and `NeverTriggerTimer`).
 */
import { ValueError, invalidArgument } from '../core/errors';
import { checkHookOptions } from './check';

/** The shared timer interface the hooks use. */
export interface HookTimer {
  reset(): void;
  shouldTriggerForStep(step: number): boolean;
  /** Records a trigger at `step`; returns the seconds and steps since the previous one (null the first time). */
  updateLastTriggeredStep(step: number): [elapsedSecs: number | null, elapsedSteps: number | null];
  lastTriggeredStep(): number | null;
  /**
   * Whether `shouldTriggerForStep` could be true now for some step. False means the answer is
   * false whatever the step, so a hook need not find out the step to decide (not in Python).
   */
  couldTriggerNow?(): boolean;
}

/** Seconds on a monotonic clock. */
export type Clock = () => number;
export const monotonicSeconds: Clock = () => (performance.timeOrigin + performance.now()) / 1000;

export interface SecondOrStepTimerOptions {
  everySecs?: number | null;
  everySteps?: number | null;
  /** Seconds; defaults to a monotonic clock. Tests inject their own. */
  clock?: Clock;
}

const OPTION_NAMES = ['everySecs', 'everySteps', 'clock'] satisfies Array<keyof SecondOrStepTimerOptions>;

/** The names reported in errors about the periods: a hook passes its own (`saveSteps`, `everyNIter`, ...). */
export interface PeriodNames {
  everySecs?: string;
  everySteps?: string;
}

/**
 * Triggers at most once every `everySecs` seconds or once every `everySteps` steps, and always on
 * the first step asked about.
 *
 * @example
 * const timer = new SecondOrStepTimer({ everySteps: 100 });
 * if (timer.shouldTriggerForStep(step)) { timer.updateLastTriggeredStep(step); save(); }
 */
export class SecondOrStepTimer implements HookTimer {
  private readonly everySecs: number | null;
  private readonly everySteps: number | null;
  private readonly clock: Clock;
  private lastStep: number | null = null;
  private lastTime: number | null = null;

  /**
   * `names` only changes the parameter names in ArgumentErrors, so that a hook's bad `saveSteps`
   * is reported as `saveSteps`. Steps are integers; zero and negative periods are accepted, as in
   * Python (they trigger on every step).
   */
  constructor(opts: SecondOrStepTimerOptions = {}, names: PeriodNames = {}) {
    checkHookOptions(opts, OPTION_NAMES, 'SecondOrStepTimer');
    const { everySecs = null, everySteps = null, clock = monotonicSeconds } = opts;
    const secsName = names.everySecs ?? 'everySecs';
    const stepsName = names.everySteps ?? 'everySteps';
    if (everySecs !== null && !Number.isFinite(everySecs)) throw invalidArgument(secsName, 'a finite number or null', everySecs);
    if (everySteps !== null && !Number.isFinite(everySteps)) throw invalidArgument(stepsName, 'a finite number or null', everySteps);
    if (everySteps !== null && !Number.isInteger(everySteps))
      throw invalidArgument(stepsName, 'an integer number of steps or null', everySteps);
    if (typeof clock !== 'function') throw invalidArgument('clock', 'a function', clock);
    if (everySecs === null && everySteps === null) {
      throw new ValueError('Either every_secs or every_steps should be provided.');
    }
    if (everySecs !== null && everySteps !== null) {
      throw new ValueError('Can not provide both every_secs and every_steps.');
    }
    this.everySecs = everySecs;
    this.everySteps = everySteps;
    this.clock = clock;
  }

  reset(): void {
    this.lastStep = null;
    this.lastTime = null;
  }

  shouldTriggerForStep(step: number): boolean {
    if (this.lastStep === null || this.lastTime === null) return true;
    if (step === this.lastStep) return false;
    if (this.everySecs !== null && this.clock() >= this.lastTime + this.everySecs) return true;
    if (this.everySteps !== null && step >= this.lastStep + this.everySteps) return true;
    return false;
  }

  updateLastTriggeredStep(step: number): [number | null, number | null] {
    const now = this.clock();
    const elapsed: [number | null, number | null] =
      this.lastTime === null || this.lastStep === null ? [null, null] : [now - this.lastTime, step - this.lastStep];
    this.lastTime = now;
    this.lastStep = step;
    return elapsed;
  }

  lastTriggeredStep(): number | null {
    return this.lastStep;
  }

  couldTriggerNow(): boolean {
    if (this.lastStep === null || this.lastTime === null || this.everySteps !== null) return true;
    return this.everySecs !== null && this.clock() >= this.lastTime + this.everySecs;
  }
}

/** A timer that never triggers (used by hooks that act only at the end). */
export class NeverTriggerTimer implements HookTimer {
  reset(): void {}
  shouldTriggerForStep(_step: number): boolean {
    return false;
  }
  updateLastTriggeredStep(_step: number): [null, null] {
    return [null, null];
  }
  lastTriggeredStep(): null {
    return null;
  }
  couldTriggerNow(): boolean {
    return false;
  }
}
