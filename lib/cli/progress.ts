/**
 * The train command's progress: steps per second over the last few seconds (not since the start,
 * so a slow first step or a pause for a checkpoint fades out) and the time left to `--last-step`.
 * The bar itself is cli-progress's; this computes what it shows, and the plain log line without a TTY.
 */

/** How far back the rate looks. */
const WINDOW_MS = 5_000;

export interface Progress {
  /** Steps per second over the last WINDOW_MS, or null until two steps are seen. */
  stepsPerSec: number | null;
  /** Seconds to the last step at that rate, or null (no last step, or no rate yet). */
  etaSecs: number | null;
}

/** How often a sample is kept: the window then holds ~50 of them however fast the steps are. */
const SAMPLE_MS = 100;

export class StepRate {
  private readonly samples: Array<{ step: number; ms: number }> = [];

  constructor(
    private readonly lastStep: number | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records the global step reached now and returns the progress so far. */
  update(step: number): Progress {
    const ms = this.now();
    // The rate runs from the newest sample at least WINDOW_MS old (or the oldest) to now.
    while (this.samples.length > 1 && ms - this.samples[1].ms >= WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const stepsPerSec = first && ms > first.ms && step > first.step ? ((step - first.step) * 1000) / (ms - first.ms) : null;
    const etaSecs = stepsPerSec && this.lastStep !== undefined ? Math.max(0, this.lastStep - step) / stepsPerSec : null;
    const last = this.samples[this.samples.length - 1];
    if (!last || ms - last.ms >= SAMPLE_MS) this.samples.push({ step, ms });
    return { stepsPerSec, etaSecs };
  }
}

/** '12.3 steps/s', or '' before a rate exists. */
export function formatRate(p: Progress): string {
  if (p.stepsPerSec === null) return '';
  const r = p.stepsPerSec;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toPrecision(2)} steps/s`;
}

/** 'ETA 1:02:03', 'ETA 4:05', or '' when unknown. */
export function formatEta(p: Progress): string {
  if (p.etaSecs === null || !Number.isFinite(p.etaSecs)) return '';
  const s = Math.round(p.etaSecs);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return `ETA ${h ? `${h}:${String(m).padStart(2, '0')}` : m}:${ss}`;
}
