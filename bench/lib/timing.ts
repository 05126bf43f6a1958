/** Timing loops. Each returns µs per call over `n` calls. */

const nowNs = (): bigint => process.hrtime.bigint();
const perCallUs = (t0: bigint, n: number): number => Number(nowNs() - t0) / 1000 / n;

export function timeSync(n: number, fn: () => unknown): number {
  const t0 = nowNs();
  for (let i = 0; i < n; i++) fn();
  return perCallUs(t0, n);
}

/** Like timeSync, also giving the CPU time of the whole process (all threads) per call. */
export function timeSyncCpu(n: number, fn: () => unknown): { wallUs: number; cpuUs: number } {
  const c0 = process.cpuUsage();
  const t0 = nowNs();
  for (let i = 0; i < n; i++) fn();
  const wallUs = perCallUs(t0, n);
  const c = process.cpuUsage(c0);
  return { wallUs, cpuUs: (c.user + c.system) / n };
}

/** Each call awaited before the next starts. */
export async function timeAwaited(n: number, fn: () => Promise<unknown>): Promise<number> {
  const t0 = nowNs();
  for (let i = 0; i < n; i++) await fn();
  return perCallUs(t0, n);
}

/** `depth` calls kept in flight until `n` have completed; µs per call = wall time / n. */
export async function timeInFlight(n: number, depth: number, fn: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const lane = async () => {
    while (started < n) {
      started++;
      await fn();
    }
  };
  const t0 = nowNs();
  await Promise.all(Array.from({ length: Math.min(depth, n) }, lane));
  return perCallUs(t0, n);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The statistic the tables show (bench/lib/options.ts `--stat`). */
export function summarize(xs: readonly number[], stat: 'median' | 'min'): number {
  return stat === 'min' ? (xs.length ? Math.min(...xs) : NaN) : median(xs);
}
