/** `tf-monitored inspect <checkpoint>`: Python's inspect_checkpoint / tf.train.list_variables. */
import fs from 'node:fs';
import { stat, usesTfFilesystem } from '../core/file-io';
import { loadCheckpoint } from '../checkpoint/checkpoint-reader';
import type { ElementValue, NestedArray, Tensor } from '../core/tensor';

// The files of a V2 checkpoint: `<prefix>.index` and `<prefix>.data-00000-of-00001`.
const CHECKPOINT_FILE = /^(.*)\.(?:index|data-\d{5}-of-\d{5})$/;

/**
 * The checkpoint to open: a prefix, a directory, or one of the prefix's files (`.index`, `.data-*`),
 * which stands for its prefix (TF would read such a path as a V1 file pattern and find nothing).
 */
export function checkpointArgument(checkpoint: string): string {
  const m = CHECKPOINT_FILE.exec(checkpoint);
  if (m?.[1] && isFile(checkpoint) && isFile(`${m[1]}.index`)) return m[1];
  return checkpoint;
}

function isFile(p: string): boolean {
  try {
    // A gs://... path through TF's filesystem, whose stat knows files and directories only.
    return usesTfFilesystem(p, 'checkpoint') ? stat(p)?.isDirectory === false : fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function formatNumber(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x); // NaN, Infinity as JS spells them (JSON would give null)
}

/** One element for people: numbers (NaN, ±Infinity kept), `1+2j` for complex, strings quoted. */
function formatElement(x: ElementValue): string {
  if (Array.isArray(x)) {
    const [re, im] = x;
    const sign = im < 0 || Object.is(im, -0) ? '-' : '+';
    return `${formatNumber(re)}${sign}${Number.isNaN(im) ? 'NaN' : formatNumber(Math.abs(im))}j`;
  }
  if (typeof x === 'number') return formatNumber(x);
  if (typeof x === 'string') return JSON.stringify(x);
  return String(x);
}

/** A tensor's values as nested lists, following its shape (`toArray()`: float16/bfloat16 decoded). */
export function formatValues(t: Tensor): string {
  if (t.dtype === 'resource' || t.dtype === 'variant') return `<${t.dtype}: no values>`;
  const rank = t.shape.length;
  const walk = (v: NestedArray<ElementValue>, depth: number): string =>
    depth === rank ? formatElement(v as ElementValue) : `[${(v as NestedArray<ElementValue>[]).map((x) => walk(x, depth + 1)).join(',')}]`;
  return walk(t.toArray(), 0);
}

export async function runInspect(checkpoint: string, opts: { values?: boolean }): Promise<number> {
  const reader = loadCheckpoint(checkpointArgument(checkpoint));
  try {
    const variables = reader.variables();
    if (variables.length === 0 && !isFile(`${reader.prefix}.index`)) {
      console.error(
        `tf-monitored: no checkpoint at ${checkpoint} (expected a model.ckpt-N prefix, its .index file, or a checkpoint directory)`,
      );
      return 1;
    }
    for (const v of variables) {
      console.log(`${v.name} (${v.dtype}) [${v.shape.join(', ')}]`);
      if (opts.values) console.log(`  ${formatValues(reader.getTensor(v.name))}`);
    }
  } finally {
    reader.close();
  }
  return 0;
}
