import type { FetchedTensor } from './session-like';

/** `'x'` and `'x:0'` name the same tensor; feeds and tags compare by this form. */
export function canonicalTensorName(name: string): string {
  return name.includes(':') ? name : `${name}:0`;
}

/** The name of a single fetch: the string itself, or the `name` of an Operation/Output-like object. */
export function fetchName(fetch: unknown): string | null {
  if (typeof fetch === 'string') return fetch;
  if (fetch !== null && typeof fetch === 'object' && typeof (fetch as { name?: unknown }).name === 'string') {
    return (fetch as { name: string }).name;
  }
  return null;
}

export function isTensorLike(value: unknown): value is FetchedTensor {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<FetchedTensor>;
  return typeof v.dtype === 'string' && Array.isArray(v.shape) && v.data !== undefined && typeof v.data === 'object';
}

/** Whether a fetched value (tensor-like or plain number/array) holds a NaN anywhere. */
export function containsNaN(value: unknown): boolean {
  if (typeof value === 'number') return Number.isNaN(value);
  const data: ArrayLike<unknown> | null = isTensorLike(value) ? value.data : Array.isArray(value) ? value : null;
  if (data === null) return false;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (typeof x === 'number' ? Number.isNaN(x) : Array.isArray(x) && containsNaN(x)) return true;
  }
  return false;
}
