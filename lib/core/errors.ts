/**
 * Typed errors. Every libtensorflow `TF_Code` maps to one class named as in Python's `tf.errors`;
 * all are subclasses of {@link TFError} and carry `code`. The native addon receives this module's
 * {@link errorForCode} once at load time and uses it for every failed `TF_Status`, so there is one
 * place where a status becomes an error.
 *
 * Argument problems found in TypeScript before anything reaches TF are {@link ArgumentError}s
 * (a `TypeError`/`RangeError`-like error naming the parameter), built by {@link invalidArgument}.
 */

/** TF_Code values (tensorflow/c/tf_status.h); checked against the addon's table at load. */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type CodeName = keyof typeof Code;

/** Base of every error that comes from TensorFlow (a failed TF_Status) or mirrors one. */
export class TFError extends Error {
  readonly code: number;
  constructor(message: string, code: number = Code.UNKNOWN) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

export class CancelledError extends TFError {
  constructor(m: string) {
    super(m, Code.CANCELLED);
  }
}
export class UnknownError extends TFError {
  constructor(m: string) {
    super(m, Code.UNKNOWN);
  }
}
export class InvalidArgumentError extends TFError {
  constructor(m: string) {
    super(m, Code.INVALID_ARGUMENT);
  }
}
export class DeadlineExceededError extends TFError {
  constructor(m: string) {
    super(m, Code.DEADLINE_EXCEEDED);
  }
}
export class NotFoundError extends TFError {
  constructor(m: string) {
    super(m, Code.NOT_FOUND);
  }
}
export class AlreadyExistsError extends TFError {
  constructor(m: string) {
    super(m, Code.ALREADY_EXISTS);
  }
}
export class PermissionDeniedError extends TFError {
  constructor(m: string) {
    super(m, Code.PERMISSION_DENIED);
  }
}
export class ResourceExhaustedError extends TFError {
  constructor(m: string) {
    super(m, Code.RESOURCE_EXHAUSTED);
  }
}
export class FailedPreconditionError extends TFError {
  constructor(m: string) {
    super(m, Code.FAILED_PRECONDITION);
  }
}
export class AbortedError extends TFError {
  constructor(m: string) {
    super(m, Code.ABORTED);
  }
}
export class OutOfRangeError extends TFError {
  constructor(m: string) {
    super(m, Code.OUT_OF_RANGE);
  }
}
export class UnimplementedError extends TFError {
  constructor(m: string) {
    super(m, Code.UNIMPLEMENTED);
  }
}
export class InternalError extends TFError {
  constructor(m: string) {
    super(m, Code.INTERNAL);
  }
}
export class UnavailableError extends TFError {
  constructor(m: string) {
    super(m, Code.UNAVAILABLE);
  }
}
export class DataLossError extends TFError {
  constructor(m: string) {
    super(m, Code.DATA_LOSS);
  }
}
export class UnauthenticatedError extends TFError {
  constructor(m: string) {
    super(m, Code.UNAUTHENTICATED);
  }
}

const BY_CODE: Record<number, new (m: string) => TFError> = {
  [Code.CANCELLED]: CancelledError,
  [Code.UNKNOWN]: UnknownError,
  [Code.INVALID_ARGUMENT]: InvalidArgumentError,
  [Code.DEADLINE_EXCEEDED]: DeadlineExceededError,
  [Code.NOT_FOUND]: NotFoundError,
  [Code.ALREADY_EXISTS]: AlreadyExistsError,
  [Code.PERMISSION_DENIED]: PermissionDeniedError,
  [Code.RESOURCE_EXHAUSTED]: ResourceExhaustedError,
  [Code.FAILED_PRECONDITION]: FailedPreconditionError,
  [Code.ABORTED]: AbortedError,
  [Code.OUT_OF_RANGE]: OutOfRangeError,
  [Code.UNIMPLEMENTED]: UnimplementedError,
  [Code.INTERNAL]: InternalError,
  [Code.UNAVAILABLE]: UnavailableError,
  [Code.DATA_LOSS]: DataLossError,
  [Code.UNAUTHENTICATED]: UnauthenticatedError,
};

/** The one status → error mapping. Unknown codes become UnknownError with the code kept. */
export function errorForCode(code: number, message: string): TFError {
  const Cls = BY_CODE[code];
  if (Cls) return new Cls(message);
  const e = new UnknownError(message);
  (e as { code: number }).code = code;
  return e;
}

/**
 * Misuse of the API detected before TF is called: a bad parameter value or type, use after close.
 * `param` names the offending parameter. Not a TFError: nothing went wrong inside TensorFlow.
 */
export class ArgumentError extends TypeError {
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.param = param;
    this.name = 'ArgumentError';
  }
}

/** A Python `ValueError` equivalent raised by the training layer (messages as in docs/python-parity.md §11). */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

/** A Python `RuntimeError` equivalent raised by the training layer (messages as in docs/python-parity.md §11). */
export class RuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/**
 * Raised when an object is used after `close()`/`dispose()`. A FailedPreconditionError (code 9),
 * as the addon's own "Attempted to use a closed Session." that a run racing `close()` gets: one
 * catch handles both, whichever side noticed first.
 */
export class ClosedError extends FailedPreconditionError {
  constructor(what: string) {
    super(`${what} is closed`);
    this.name = 'ClosedError';
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name} of length ${(value as unknown as { length?: number }).length ?? value.byteLength}`;
  if (typeof value === 'function') return 'function';
  return `${(value as object).constructor?.name ?? 'object'}`;
}

/** The one message formatter for bad arguments: "Expected X for Y but received Z". */
export function invalidArgument(param: string, expected: string, received: unknown): ArgumentError {
  return new ArgumentError(param, `Expected ${expected} for ${param} but received ${describe(received)}`);
}

/**
 * Python's builtin `StopIteration`: thrown by a step function's `stepContext.requestStop()`. Inside
 * `MonitoredSession#using()` it ends training cleanly (hooks' `end()` runs).
 */
export class StopIteration extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'StopIteration';
  }
}
