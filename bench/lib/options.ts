/**
 * Options shared by every benchmark, from argv (`--iters 200` or `--iters=200`) or the
 * environment (BENCH_ITERS, ...); argv wins. `npm run bench -- --iters 200` passes them to all.
 *
 *   --iters N    timed runs per measurement          BENCH_ITERS    (default per bench)
 *   --repeats N  measurements per row                BENCH_REPEATS  (default 7)
 *   --warmup N   untimed runs before each row         BENCH_WARMUP   (default iters/10, ≥ 20)
 *   --out DIR    build and scratch folder             BENCH_OUT      (default bench/out)
 *   --json FILE  also write the results as JSON      BENCH_JSON
 *   --stat S     'min' (default) or 'median' of the repeats, for the tables   BENCH_STAT
 *                (min: the steadier one on a machine shared with other work; every row, the
 *                baselines included, gets the same statistic, so ratios compare like with like)
 */
import path from 'node:path';
import { packageRoot } from '../../lib/native';

export interface BenchOptions {
  iters: number;
  repeats: number;
  warmup: number;
  outDir: string;
  json: string | null;
  stat: 'median' | 'min';
}

/** The package (found from the running file, compiled or not) and its bench/ folder. */
export const PACKAGE_ROOT = packageRoot();
export const BENCH_ROOT = path.join(PACKAGE_ROOT, 'bench');

function argValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

function positiveInt(what: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench: ${what} must be a positive integer, got '${v}'`);
  return n;
}

export function benchOptions(
  defaults: { iters: number; repeats?: number; warmup?: number },
  argv: readonly string[] = process.argv.slice(2),
): BenchOptions {
  const env = process.env;
  const iters = positiveInt('--iters', argValue(argv, 'iters') ?? env.BENCH_ITERS, defaults.iters);
  const repeats = positiveInt('--repeats', argValue(argv, 'repeats') ?? env.BENCH_REPEATS, defaults.repeats ?? 7);
  const warmup = positiveInt(
    '--warmup',
    argValue(argv, 'warmup') ?? env.BENCH_WARMUP,
    defaults.warmup ?? Math.max(20, Math.round(iters / 10)),
  );
  const outDir = path.resolve(argValue(argv, 'out') ?? env.BENCH_OUT ?? path.join(BENCH_ROOT, 'out'));
  const json = argValue(argv, 'json') ?? env.BENCH_JSON ?? null;
  const stat = argValue(argv, 'stat') ?? env.BENCH_STAT ?? 'min';
  if (stat !== 'median' && stat !== 'min') throw new Error(`bench: --stat must be 'median' or 'min', got '${stat}'`);
  return { iters, repeats, warmup, outDir, json: json ? path.resolve(json) : null, stat };
}
