/**
 * How Python prints what initFromCheckpoint's errors show (a TensorShape, the reader's
 * variable-to-shape dict), shape compatibility, and a partition's slice spec, so that the messages
 * read as Python's and the restore ops read the same slices.
 */
import type { CheckpointVariable } from './checkpoint-reader';
import type { SaveSliceInfo } from '../core/variables';

/** Python's `str(TensorShape)`: '()', '(4,)', '(2, 3)', '(None, 3)', '<unknown>' (-1 is an unknown dimension). */
export function pyShape(shape: readonly number[] | null): string {
  if (shape === null) return '<unknown>';
  const dims = shape.map((d) => (d < 0 ? 'None' : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

/** Python's repr of a str. */
function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(quote === "'" ? /'/g : /"/g, `\\${quote}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `${quote}${body}${quote}`;
}

/**
 * Python's repr of `reader.get_variable_to_shape_map()`: "{'w': [2, 3], 'b': [3]}". Listed by
 * name; Python's dict comes in the C++ reader's hash order, which is not reproducible.
 */
export function pyShapeMap(vars: ReadonlyMap<string, CheckpointVariable>): string {
  return `{${[...vars.values()].map((v) => `${pyStr(v.name)}: [${v.shape.join(', ')}]`).join(', ')}}`;
}

/** Python's `TensorShape.is_compatible_with`: an unknown rank or dimension matches anything. */
export function shapesCompatible(shape: readonly number[] | null, other: readonly number[]): boolean {
  if (shape === null) return true;
  return shape.length === other.length && shape.every((d, i) => d < 0 || d === other[i]);
}

/** Python's `SaveSliceInfo.spec`: 'full shape' then 'offset,length' per dimension, e.g. '10 4 0,5:0,4'. */
export function sliceSpec(info: SaveSliceInfo): string {
  return `${info.fullShape.join(' ')} ${info.varOffset.map((o, i) => `${o},${info.varShape[i]}`).join(':')}`;
}
