/**
 * Rows measured side by side: each row warmed up once, then the repeats interleave the rows (row
 * 1, row 2, ..., row 1, row 2, ...) so a change in the machine's load hits every row alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ConfigProtoSchema } from '../../lib/proto/gen/tensorflow/core/protobuf/config_pb';
import { messageFromPlain } from '../../lib/core/plain-message';
import type { Cell } from './table';
import { summarize } from './timing';

/** µs per unit of work over `n` units. */
export type Measure = (n: number) => number | Promise<number>;

export interface Row {
  key: string;
  label: string;
  /** A measurement, or why the row is not measured. */
  measure: Measure | string;
  /** The share of --iters (and --warmup) this row runs. */
  scale?: number;
}

export type Samples = Record<string, number[] | string>;

export async function measureInterleaved(rows: readonly Row[], opts: { iters: number; repeats: number; warmup: number }): Promise<Samples> {
  const count = (row: Row, n: number) => Math.max(1, Math.round(n * (row.scale ?? 1)));
  const samples: Samples = {};
  for (const row of rows) {
    samples[row.key] = typeof row.measure === 'string' ? row.measure : [];
    if (typeof row.measure !== 'string') await row.measure(count(row, opts.warmup));
  }
  for (let r = 0; r < opts.repeats; r++) {
    for (const row of rows) {
      if (typeof row.measure !== 'string') (samples[row.key] as number[]).push(await row.measure(count(row, opts.iters)));
    }
  }
  return samples;
}

/** The statistic of one row's samples, or its reason. */
export function cellOf(samples: Samples, key: string, stat: 'median' | 'min'): Cell {
  const xs = samples[key];
  return Array.isArray(xs) ? summarize(xs, stat) : (xs ?? 'n/a');
}

/** A ConfigProto (plain camelCase) serialized once and written to `dir`: the bytes both sides use. */
export function configBytes(plain: Record<string, unknown>, dir: string, name: string): { bytes: Uint8Array; file: string } {
  const bytes = toBinary(ConfigProtoSchema, messageFromPlain(ConfigProtoSchema, plain, 'config'));
  const file = path.join(dir, `config-${name}.pb`);
  fs.writeFileSync(file, bytes);
  return { bytes, file };
}

/** 'met' / 'NOT met' for a "higher is better" factor (e.g. "≥ 4× faster"). */
export function atLeastLine(what: string, factor: number, min: number): string {
  if (!Number.isFinite(factor)) return `${what}: target ≥ ${min}× — not measured`;
  return `${what}: ${factor.toFixed(2)}× (target ≥ ${min}×) — ${factor >= min ? 'met' : 'NOT met'}`;
}
