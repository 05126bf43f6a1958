/**
 * SecondOrStepTimer and NeverTriggerTimer (docs/python-parity.md §5.2).
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, ValueError } from '../../lib/core/errors';
import { NeverTriggerTimer, SecondOrStepTimer } from '../../lib/hooks/second-or-step-timer';

function fakeClock(start = 1000) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

describe('SecondOrStepTimer', () => {
  it('requires exactly one of everySecs and everySteps', () => {
    expect(() => new SecondOrStepTimer()).toThrow(ValueError);
    expect(() => new SecondOrStepTimer({})).toThrow('Either every_secs or every_steps should be provided.');
    expect(() => new SecondOrStepTimer({ everySecs: null, everySteps: null })).toThrow(
      'Either every_secs or every_steps should be provided.',
    );
    expect(() => new SecondOrStepTimer({ everySecs: 1, everySteps: 1 })).toThrow(ValueError);
    expect(() => new SecondOrStepTimer({ everySecs: 1, everySteps: 1 })).toThrow('Can not provide both every_secs and every_steps.');
  });

  it('rejects values that are not numbers, naming the parameter', () => {
    const err = (() => {
      try {
        new SecondOrStepTimer({ everySteps: '10' as never });
      } catch (e) {
        return e;
      }
    })() as ArgumentError;
    expect(err).toBeInstanceOf(ArgumentError);
    expect(err.param).toBe('everySteps');
    expect(err.message).toBe('Expected a finite number or null for everySteps but received string "10"');
  });

  it('in steps mode triggers first, never twice for one step, then every N steps', () => {
    const timer = new SecondOrStepTimer({ everySteps: 10 });
    expect(timer.lastTriggeredStep()).toBeNull();
    expect(timer.shouldTriggerForStep(1)).toBe(true);
    expect(timer.updateLastTriggeredStep(1)).toEqual([null, null]);
    expect(timer.lastTriggeredStep()).toBe(1);
    expect(timer.shouldTriggerForStep(1)).toBe(false);
    expect(timer.shouldTriggerForStep(10)).toBe(false);
    expect(timer.shouldTriggerForStep(11)).toBe(true);
    const [, steps] = timer.updateLastTriggeredStep(11);
    expect(steps).toBe(10);
  });

  it('in seconds mode triggers when everySecs have passed, and reports the elapsed time', () => {
    const clock = fakeClock();
    const timer = new SecondOrStepTimer({ everySecs: 5, clock: clock.read });
    expect(timer.shouldTriggerForStep(0)).toBe(true);
    timer.updateLastTriggeredStep(0);
    clock.now += 4.9;
    expect(timer.shouldTriggerForStep(100)).toBe(false);
    clock.now += 0.1;
    expect(timer.shouldTriggerForStep(100)).toBe(true);
    expect(timer.shouldTriggerForStep(0)).toBe(false);
    const [secs, steps] = timer.updateLastTriggeredStep(100);
    expect(secs).toBeCloseTo(5);
    expect(steps).toBe(100);
  });

  it('couldTriggerNow(): false only while no step at all could trigger (seconds mode, period not over)', () => {
    const clock = fakeClock();
    const secs = new SecondOrStepTimer({ everySecs: 5, clock: clock.read });
    expect(secs.couldTriggerNow()).toBe(true); // never triggered: any step triggers
    secs.updateLastTriggeredStep(0);
    clock.now += 4.9;
    expect(secs.couldTriggerNow()).toBe(false);
    for (const step of [1, 10, 1e6]) expect(secs.shouldTriggerForStep(step)).toBe(false);
    clock.now += 0.1;
    expect(secs.couldTriggerNow()).toBe(true);
    expect(secs.shouldTriggerForStep(1)).toBe(true);

    // In steps mode the answer depends on the step: some step can always trigger.
    const steps = new SecondOrStepTimer({ everySteps: 10 });
    steps.updateLastTriggeredStep(0);
    expect(steps.couldTriggerNow()).toBe(true);
    expect([steps.shouldTriggerForStep(9), steps.shouldTriggerForStep(10)]).toEqual([false, true]);
    secs.reset();
    expect(secs.couldTriggerNow()).toBe(true);
  });

  it('reset() makes the next step trigger again', () => {
    const timer = new SecondOrStepTimer({ everySteps: 100 });
    timer.updateLastTriggeredStep(5);
    expect(timer.shouldTriggerForStep(6)).toBe(false);
    timer.reset();
    expect(timer.lastTriggeredStep()).toBeNull();
    expect(timer.shouldTriggerForStep(6)).toBe(true);
  });
});

describe('NeverTriggerTimer', () => {
  it('never triggers and reports nothing', () => {
    const timer = new NeverTriggerTimer();
    expect(timer.shouldTriggerForStep(0)).toBe(false);
    expect(timer.updateLastTriggeredStep(3)).toEqual([null, null]);
    expect(timer.lastTriggeredStep()).toBeNull();
    expect(timer.couldTriggerNow()).toBe(false);
  });
});
