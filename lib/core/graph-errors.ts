/**
 * The error for input that is not a graph we can load: not a GraphDef or MetaGraphDef at all
 * (an image, an event file, random bytes), a truncated or corrupted serialization, a text file
 * with a syntax error or an unknown field, or a MetaGraphDef whose parts contradict each other.
 */
import { InvalidArgumentError } from './errors';

export class GraphFormatError extends InvalidArgumentError {
  /** The file, when the input came from one (or the name the caller gave the bytes). */
  readonly file?: string;
  /** The problem alone, without the file and the position. */
  readonly reason: string;
  /** 1-based line and column of the offending token, for text input. */
  readonly line?: number;
  readonly column?: number;

  constructor(reason: string, opts: { file?: string; line?: number; column?: number; cause?: unknown } = {}) {
    const at = opts.line !== undefined ? `:${opts.line}:${opts.column ?? 1}` : '';
    super(`${opts.file ?? '<bytes>'}${at}: ${reason}`);
    this.reason = reason;
    if (opts.file !== undefined) this.file = opts.file;
    if (opts.line !== undefined) {
      this.line = opts.line;
      this.column = opts.column ?? 1;
    }
    if (opts.cause !== undefined) (this as { cause?: unknown }).cause = opts.cause;
  }
}
