/**
 * Environment every benchmark sets before libtensorflow loads. Import this module FIRST in a
 * bench script: TF reads these variables when it loads (and a child process inherits them, so the
 * raw C loop runs under the same ones).
 */
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';

/** The TF-related variables in force, for the header of a report. */
export function tfEnvSummary(): string {
  const keys = ['TF_CPP_MIN_LOG_LEVEL', 'TF_ENABLE_ONEDNN_OPTS', 'OMP_NUM_THREADS', 'TF_LIBRARY_PATH'];
  return keys
    .filter((k) => process.env[k] !== undefined)
    .map((k) => `${k}=${process.env[k]}`)
    .join(' ');
}
