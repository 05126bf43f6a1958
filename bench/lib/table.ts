/**
 * Ratio tables: rows of timings (µs) in one or more column groups (e.g. session configs), each
 * number followed by its ratio to the baseline row of the same group. Printed as Markdown so a
 * run can be pasted into an issue or docs/libtensorflow-facts.md as it is.
 */

/** A cell: a time in µs, or null / a short text when it could not be measured. */
export type Cell = number | null | string;

export interface RatioRow {
  label: string;
  cells: Cell[];
}

export interface RatioTableSpec {
  /** First column's header, e.g. 'path'. */
  head: string;
  /** One per column group, e.g. ['default config', 'inline']. */
  groups: string[];
  rows: RatioRow[];
  /** Index of the row every ratio is taken against. */
  baseline: number;
  /** Name of the baseline in the ratio headers, e.g. 'raw C'. */
  baselineName: string;
  unit?: string;
}

export function fmtUs(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0);
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a';
}

export function ratio(value: Cell, base: Cell): number {
  return typeof value === 'number' && typeof base === 'number' && base > 0 ? value / base : NaN;
}

export function ratioTable(spec: RatioTableSpec): string {
  const unit = spec.unit ?? 'µs/run';
  const header = [spec.head, ...spec.groups.flatMap((g) => [`${g}: ${unit}`, `× ${spec.baselineName}`])];
  const align = [':--', ...spec.groups.flatMap(() => ['--:', '--:'])];
  const base = spec.rows[spec.baseline];
  const lines = [header, align].map((cols) => `| ${cols.join(' | ')} |`);
  for (const row of spec.rows) {
    const cols = [row.label];
    spec.groups.forEach((_, g) => {
      const v = row.cells[g];
      cols.push(typeof v === 'number' ? fmtUs(v) : (v ?? 'n/a'));
      cols.push(typeof v === 'number' ? fmtRatio(ratio(v, base?.cells[g] ?? null)) : '');
    });
    lines.push(`| ${cols.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** 'met' / 'NOT met' line for a target ratio (informative: benchmarks never fail on it). */
/**
 * What a ≤ `max`× target leaves above a floor that everything else builds on: "2.10 µs" when the
 * floor is below max × base, "nothing (the floor is 0.40 µs over)" when it is already above.
 */
export function headroom(base: Cell, floor: Cell, max: number): string {
  if (typeof base !== 'number' || typeof floor !== 'number') return 'n/a';
  const left = max * base - floor;
  return left >= 0 ? `${fmtUs(left)} µs` : `nothing (the floor is ${fmtUs(-left)} µs over)`;
}

export function targetLine(what: string, value: Cell, base: Cell, max: number): string {
  const r = ratio(value, base);
  if (!Number.isFinite(r)) return `${what}: target ≤ ${max}× — not measured`;
  return `${what}: ${fmtRatio(r)} (target ≤ ${max}×) — ${r <= max ? 'met' : 'NOT met'}`;
}
