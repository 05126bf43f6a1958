/**
 * The monitored session's run modes, for benchmark rows: the default (no option given), 'async'
 * and 'sync'. Uses the `runMode` option when the package has it (detected on the first session:
 * an unknown option is refused by name), else today's equivalents: `syncRuns: false` (async) and
 * `syncRuns: true` (sync).
 */
import type { MonitoredSession } from '../../lib/train/monitored-session';
import { MonitoredTrainingSession, type MonitoredTrainingSessionOptions } from '../../lib/train/monitored-training-session';

export type BenchMode = 'default' | 'async' | 'sync';
export const MODES: readonly BenchMode[] = ['default', 'async', 'sync'];

/** undefined until the first session says. */
let hasRunMode: boolean | undefined;

function modeOptions(mode: BenchMode, maxBlockMs: number | undefined): Record<string, unknown> {
  if (hasRunMode) {
    const o: Record<string, unknown> = mode === 'default' ? {} : { runMode: mode };
    if (maxBlockMs !== undefined) o.maxBlockMs = maxBlockMs;
    return o;
  }
  return mode === 'default' ? {} : { syncRuns: mode === 'sync' };
}

/**
 * Whether MonitoredTrainingSession knows `runMode`: asked with options that create nothing (no
 * graph), so an unknown option name is refused first ("Unknown option 'runMode'").
 */
async function detectRunMode(): Promise<boolean> {
  try {
    await MonitoredTrainingSession({ runMode: 'auto' } as unknown as MonitoredTrainingSessionOptions);
  } catch (e) {
    return !/Unknown option 'runMode'/.test(String((e as Error)?.message));
  }
  return true;
}

/** A MonitoredTrainingSession in `mode` (maxBlockMs only where the runMode option exists). */
export async function monitoredSession(
  opts: MonitoredTrainingSessionOptions,
  mode: BenchMode,
  maxBlockMs?: number,
): Promise<MonitoredSession> {
  hasRunMode ??= await detectRunMode();
  return MonitoredTrainingSession({ ...opts, ...modeOptions(mode, maxBlockMs) } as MonitoredTrainingSessionOptions);
}

/** Detects the option now (labels need it before the first session). */
export async function probeRunMode(): Promise<boolean> {
  hasRunMode ??= await detectRunMode();
  return hasRunMode;
}

/** Whether the rows used `runMode` (after the first monitoredSession call). */
export function runModeOption(): boolean | undefined {
  return hasRunMode;
}

/** The row label of a mode, saying which option made it. */
export function modeLabel(mode: BenchMode): string {
  if (hasRunMode) return mode === 'default' ? "default mode ('auto')" : `runMode '${mode}'`;
  return mode === 'default'
    ? 'default mode (async: no runMode option yet)'
    : mode === 'async'
      ? '`syncRuns: false` (async)'
      : '`syncRuns: true` (sync)';
}
