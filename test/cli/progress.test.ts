import { describe, expect, it } from 'vitest';
import { StepRate, formatEta, formatRate } from '../../lib/cli/progress';

/** A StepRate on a clock the test moves. */
function rateAt(lastStep?: number) {
  let ms = 0;
  const r = new StepRate(lastStep, () => ms);
  return {
    at: (t: number, step: number) => {
      ms = t;
      return r.update(step);
    },
  };
}

describe('train progress: steps/s and ETA', () => {
  it('has no rate before a second step, then steps per second and the time left to the last step', () => {
    const r = rateAt(1000);
    expect(r.at(0, 100)).toEqual({ stepsPerSec: null, etaSecs: null });
    const p = r.at(2000, 140); // 40 steps in 2 s
    expect(p.stepsPerSec).toBe(20);
    expect(p.etaSecs).toBe(43); // 860 steps left at 20/s
    expect(formatRate(p)).toBe('20.0 steps/s');
    expect(formatEta(p)).toBe('ETA 0:43');
  });

  it('measures over the last seconds only: a slow start fades out', () => {
    const r = rateAt(100_000);
    r.at(0, 0);
    r.at(30_000, 1); // a 30 s first step (graph optimisation, restore)
    for (let t = 31_000; t <= 40_000; t += 1000) r.at(t, 1 + (t - 30_000) / 10); // then 100 steps/s
    const p = r.at(41_000, 1101);
    expect(p.stepsPerSec).toBeCloseTo(100, 5);
    expect(formatEta(p)).toBe('ETA 16:29'); // 98899 steps at 100/s
  });

  it('has no ETA without a last step, and formats hours', () => {
    const r = rateAt();
    r.at(0, 0);
    expect(r.at(1000, 3).etaSecs).toBeNull();
    expect(formatEta({ stepsPerSec: 1, etaSecs: 3723 })).toBe('ETA 1:02:03');
    expect(formatRate({ stepsPerSec: 1234.5, etaSecs: null })).toBe('1235 steps/s');
    expect(formatRate({ stepsPerSec: 0.5, etaSecs: null })).toBe('0.50 steps/s');
  });
});
