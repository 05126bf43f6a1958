/**
 * The training layer's logger: the lines Python writes through `tf.compat.v1.logging` go through
 * here, with the same levels and the same default line format (`INFO:tensorflow:<message>`). As in
 * Python, the default verbosity is WARN, so INFO lines (hook output) are hidden until
 * `setVerbosity('info')`.
 */

/** Python's numeric levels (`tf.compat.v1.logging.DEBUG` ...). */
export const Level = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, FATAL: 50 } as const;
export type LevelName = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogRecord {
  readonly level: number;
  /** Python's level name: DEBUG, INFO, WARNING, ERROR, FATAL. */
  readonly levelName: string;
  readonly message: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

export type LogSink = (record: LogRecord) => void;

const NAMES: Record<number, string> = { 10: 'DEBUG', 20: 'INFO', 30: 'WARNING', 40: 'ERROR', 50: 'FATAL' };
const BY_NAME: Record<LevelName, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

let verbosity: number = Level.WARN;
const captures = new Set<LogCapture>();
let sink: LogSink = (r) => {
  process.stderr.write(`${r.levelName}:tensorflow:${r.message}\n`);
};

/**
 * Sets the lowest level written by the default sink (Python's `set_verbosity`). The default is
 * WARN, as in Python: INFO lines (hook output such as `loss = 4.0, step = 1`) are hidden until
 * `setVerbosity(Level.INFO)` or `setVerbosity('info')`.
 *
 * @example
 * import { logging } from 'tf-monitored';
 * logging.setVerbosity('info');
 */
export function setVerbosity(level: number | LevelName): void {
  const n = typeof level === 'string' ? BY_NAME[level] : level;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new TypeError(`Expected a level number or one of ${Object.keys(BY_NAME).join(', ')} for level but received ${String(level)}`);
  }
  verbosity = n;
}

export function getVerbosity(): number {
  return verbosity;
}

/** Replaces the output of records at or above the verbosity (default: `LEVEL:tensorflow:msg` on stderr). */
export function setSink(next: LogSink): void {
  sink = next;
}

export function log(level: number, message: string): void {
  const record: LogRecord = { level, levelName: NAMES[level] ?? `Level ${level}`, message, time: Date.now() };
  for (const c of captures) c.records.push(record);
  if (captures.size === 0 && level >= verbosity) sink(record);
}

export function debug(message: string): void {
  log(Level.DEBUG, message);
}
export function info(message: string): void {
  log(Level.INFO, message);
}
export function warning(message: string): void {
  log(Level.WARN, message);
}
export function error(message: string): void {
  log(Level.ERROR, message);
}

/** Records captured since {@link captureLogs}; call `restore()` to stop capturing. */
export interface LogCapture {
  readonly records: LogRecord[];
  /** Messages, optionally only those of one level. */
  messages(level?: number): string[];
  restore(): void;
}

/**
 * Starts capturing log records (for tests and applications). A capture sees every level, whatever
 * the verbosity, and silences the default stderr output while it is active.
 */
export function captureLogs(): LogCapture {
  const capture: LogCapture = {
    records: [],
    messages(level?: number) {
      return this.records.filter((r) => level === undefined || r.level === level).map((r) => r.message);
    },
    restore() {
      captures.delete(capture);
    },
  };
  captures.add(capture);
  return capture;
}
