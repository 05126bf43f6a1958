/**
 * A V2 save writes under a temporary prefix, `<prefix>.tmp<32 hex>`, and its files are then renamed
 * into place, `.data-*` shards first, `.index` last: a file of the prefix is always the old one or
 * the new one, whole, and `<prefix>.index` appears only once every shard it names is there. Why
 * (TF rewrites an existing prefix in place): docs/libtensorflow-facts.md#checkpoints.
 */
import { randomUUID } from 'node:crypto';
import * as io from '../../core/file-io';
import { RuntimeError } from '../../core/errors';
import { ioError, pyBasename, pyDirname } from '../../core/file-paths';

const SHARD = /^\.data-\d{5}-of-\d{5}$/;

/**
 * `<prefix>.tmp<32 hex>`: the name the save op writes to. Recognised as debris by debris.ts.
 *
 * A save is never skipped, even when the prefix holds the same step (a restart's re-save): it
 * writes the same bytes, so a kill between the renames leaves old index + new (identical) data.
 */
export function tempPrefix(prefix: string): string {
  return `${prefix}.tmp${randomUUID().replace(/-/g, '')}`;
}

async function rename(from: string, to: string): Promise<void> {
  try {
    await io.rename(from, to);
  } catch (e) {
    throw ioError(e, to);
  }
}

/**
 * Renames the files TF wrote under `temp` to `prefix`: shards, then the index; then removes shards
 * of `prefix` the new index does not use (a checkpoint saved there before with another shard count).
 */
export async function moveIntoPlace(temp: string, prefix: string): Promise<void> {
  const dir = pyDirname(prefix);
  const tempBase = pyBasename(temp);
  const base = pyBasename(prefix);
  const names = await io.readdir(dir).catch((e: unknown) => {
    throw ioError(e, dir || '.');
  });
  const suffixes = (b: string) => names.filter((n) => n.startsWith(`${b}.`) && SHARD.test(n.slice(b.length))).map((n) => n.slice(b.length));
  const shards = suffixes(tempBase);
  if (!names.includes(`${tempBase}.index`))
    throw new RuntimeError(`The save op wrote no ${temp}.index: the SaverDef's save tensor does not write to the fed filename.`);
  for (const s of shards) await rename(`${temp}${s}`, `${prefix}${s}`);
  await rename(`${temp}.index`, `${prefix}.index`);
  for (const s of suffixes(base)) {
    if (shards.includes(s)) continue;
    await io.unlink(`${prefix}${s}`).catch((e: unknown) => {
      if (!io.isNotFound(e)) throw ioError(e, `${prefix}${s}`);
    });
  }
}
