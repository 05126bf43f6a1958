/**
 * The error for a data file we cannot read: not a `.npy`/`.npz` at all, a truncated or corrupted
 * one, or one holding what has no tensor form (object arrays, structured dtypes). Subclass of
 * InvalidArgumentError, as GraphFormatError is for graph files.
 */
import { InvalidArgumentError } from '../core/errors';

export class DataFormatError extends InvalidArgumentError {
  /** The file (or the name the caller gave the bytes); for an `.npz` member, `archive.npz[member.npy]`. */
  readonly file: string;
  /** The problem alone, without the file. */
  readonly reason: string;

  constructor(file: string, reason: string, opts: { cause?: unknown } = {}) {
    super(`${file}: ${reason}`);
    this.file = file;
    this.reason = reason;
    if (opts.cause !== undefined) (this as { cause?: unknown }).cause = opts.cause;
  }
}
