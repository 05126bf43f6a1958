/**
 * The TF error for a failed file operation: TF's `IOError(context, errno)` (errno → error class as
 * TF maps it, message `<path>; <strerror>`), so a failed write anywhere in the package is a typed
 * error naming its file.
 */
import { Code, errorForCode, TFError } from './errors';

const ERRNO_CODE: Record<string, number> = {};
const errnoGroups: Array<[number, string[]]> = [
  [
    Code.INVALID_ARGUMENT,
    [
      'EINVAL',
      'ENAMETOOLONG',
      'E2BIG',
      'EDESTADDRREQ',
      'EDOM',
      'EFAULT',
      'EILSEQ',
      'ENOPROTOOPT',
      'ENOSTR',
      'ENOTSOCK',
      'ENOTTY',
      'EPROTOTYPE',
      'ESPIPE',
    ],
  ],
  [Code.DEADLINE_EXCEEDED, ['ETIMEDOUT', 'ETIME']],
  [Code.NOT_FOUND, ['ENODEV', 'ENOENT', 'ENXIO', 'ESRCH']],
  [Code.ALREADY_EXISTS, ['EEXIST', 'EADDRNOTAVAIL', 'EALREADY']],
  [Code.PERMISSION_DENIED, ['EPERM', 'EACCES', 'EROFS']],
  [Code.FAILED_PRECONDITION, ['ENOTEMPTY', 'EPIPE', 'ENOTCONN', 'EISCONN', 'EBUSY', 'ENOTDIR', 'EISDIR', 'ETXTBSY', 'ECHILD', 'ESHUTDOWN']],
  [Code.RESOURCE_EXHAUSTED, ['ENOSPC', 'EMFILE', 'EMLINK', 'ENFILE', 'ENOBUFS', 'ENODATA', 'ENOMEM', 'ENOSR', 'EUSERS', 'EDQUOT']],
  [Code.OUT_OF_RANGE, ['EFBIG', 'EOVERFLOW', 'ERANGE']],
  [Code.UNIMPLEMENTED, ['ENOSYS', 'ENOTSUP', 'EAFNOSUPPORT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EXDEV']],
  [
    Code.UNAVAILABLE,
    [
      'EAGAIN',
      'ECONNREFUSED',
      'ECONNABORTED',
      'ECONNRESET',
      'EINTR',
      'EHOSTDOWN',
      'EHOSTUNREACH',
      'ENETDOWN',
      'ENETRESET',
      'ENETUNREACH',
      'ENOLCK',
      'ENOLINK',
    ],
  ],
  [Code.ABORTED, ['EDEADLK', 'ESTALE']],
  [Code.CANCELLED, ['ECANCELED']],
];
for (const [code, names] of errnoGroups) for (const n of names) ERRNO_CODE[n] = code;

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EROFS: 'Read-only file system',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EXDEV: 'Invalid cross-device link',
  EBUSY: 'Device or resource busy',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  EINVAL: 'Invalid argument',
  EIO: 'Input/output error',
};

/**
 * The TF error for a failed file operation on `path` (TF's `IOError(context, errno)`): the class by
 * errno as TF maps it, the message `<path>; <strerror>`, the Node error kept as `cause`.
 */
export function ioError(err: unknown, path: string): TFError {
  // Already TF's (a path through TF's filesystem): its class and message are TF's own.
  if (err instanceof TFError) return err;
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const text = STRERROR[code] ?? (code || String((err as Error)?.message ?? err));
  const e = errorForCode(ERRNO_CODE[code] ?? Code.UNKNOWN, `${path}; ${text}`);
  Object.defineProperty(e, 'cause', { value: err, enumerable: false, writable: true, configurable: true });
  return e;
}

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}
