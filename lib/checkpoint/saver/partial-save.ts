/**
 * What a failed save leaves behind, and its removal ("no half-written checkpoint"): the files a
 * save may create are listed before it runs; after a failure, `<prefix>_temp/` and every file of
 * the prefix that was not there before are removed. Files that were there before are kept (a
 * checkpoint saved earlier under the same prefix). What TF leaves: docs/libtensorflow-facts.md#checkpoints.
 */
import fsp from 'node:fs/promises';
import * as io from '../../core/file-io';
import * as logging from '../../core/logging';
import { pyBasename, pyDirname, pyJoin } from '../../core/file-paths';

const PREFIX_FILE = /^(?:index|data-\d{5}-of-\d{5})(?:\.tempstate\d+)?$/;

function belongsTo(name: string, base: string): boolean {
  return name.startsWith(`${base}.`) && PREFIX_FILE.test(name.slice(base.length + 1));
}

/** The names of `<prefix>.index` / `.data-*` files (and their temp files) present now. */
export async function prefixFiles(prefix: string): Promise<Set<string>> {
  const base = pyBasename(prefix);
  try {
    return new Set((await io.readdir(pyDirname(prefix))).filter((n) => belongsTo(n, base)));
  } catch {
    return new Set();
  }
}

/**
 * Removes what a failed save of `prefix` left: `<prefix>_temp/` and the `<prefix>.index` /
 * `.data-*` (and temp) files not in `before`. Never throws (a removal that fails is logged): the
 * caller rethrows the save's own error.
 */
export async function removePartialSave(prefix: string, before: ReadonlySet<string>): Promise<void> {
  const dir = pyDirname(prefix);
  const base = pyBasename(prefix);
  const remove = async (p: string, what: () => Promise<void>) => {
    try {
      await what();
    } catch (e) {
      if (io.isNotFound(e)) return; // not there: nothing to remove
      logging.warning(`Could not remove ${p} after a failed save: ${(e as Error).message}`);
    }
  };
  const temp = `${prefix}_temp`;
  await remove(temp, () => io.rmRecursive(temp));
  let names: string[];
  try {
    names = await io.readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!belongsTo(n, base) || before.has(n)) continue;
    const p = pyJoin(dir, n);
    await remove(p, async () => {
      // TF's stat knows files and directories only; locally, symlinks are left alone (lstat).
      const isFile = io.usesTfFilesystem(p) ? io.stat(p)?.isDirectory === false : (await fsp.lstat(p)).isFile();
      if (isFile) await io.unlink(p);
    });
  }
}
