/**
 * What a save killed half-way leaves in a checkpoint directory, and its removal. The rule (the one
 * place it is written; docs/differences-from-python.md points here) is at {@link removeSaveDebris}.
 * Nothing but that debris is touched: a checkpoint the state file does not name may be a user's.
 */
import * as io from '../../core/file-io';
import path from 'node:path';
import { getCheckpointState, removeCheckpoint } from '../checkpoint-state';
import * as logging from '../../core/logging';
import { atomicWriteFile, pyJoin } from '../../core/file-paths';

const TEMP_NAME = /\.tmp[0-9a-f]{32}(?:$|\.|_temp$)/;
const TEMPSTATE = /\.(?:index|data-\d{5}-of-\d{5})\.tempstate\d+$/;
const SHARD_DIR = /_temp(?:_[0-9a-f]{32})?$/;
const PART = /^part-\d{5}-of-\d{5}\.(?:index|data-\d{5}-of-\d{5})(?:\.tempstate\d+)?$/;
const MARKER = '.to-delete';

interface Marker {
  latestFilename: string;
  metaGraphSuffix: string;
}

/**
 * Records, before the state file drops `prefix`, that its files are to be deleted: a kill between
 * the state write and the deletion would otherwise leave them forever (nothing names them).
 */
export async function markForDeletion(prefix: string, marker: Marker): Promise<void> {
  await atomicWriteFile(`${prefix}${MARKER}`, JSON.stringify(marker));
}

export async function unmark(prefix: string): Promise<void> {
  await io.unlink(`${prefix}${MARKER}`).catch(() => {});
}

/**
 * Removes the debris of killed saves from `dir`; returns what it removed. In the directory itself
 * (not below it), it removes
 *
 * 1. every file or `_temp` directory whose name has `.tmp<32 hex>` followed by nothing, `.` or
 *    `_temp`: the temporary files of atomic writes (`checkpoint.tmp…`, `<prefix>.meta.tmp…`,
 *    `graph.pbtxt.tmp…`, Python's too) and the temporary prefixes saves write to (temp-prefix.ts);
 * 2. TF's own temporary files of a save, `<prefix>.index.tempstate<n>` / `.data-*.tempstate<n>`;
 * 3. `<prefix>_temp/` (and Python 1.15's `<prefix>_temp_<32 hex>/`) directories holding nothing but
 *    the `part-*` files of TF's sharded save;
 * 4. checkpoints whose deletion retention had begun: `<prefix>.to-delete` (written by
 *    {@link markForDeletion}) names the state file; when that state file no longer names the
 *    prefix, its `.index`, `.data-*` and meta file go, then the marker; when it still does (the
 *    kill came before the state was written), only the marker goes.
 *
 * Nothing else is touched, whatever its name: a checkpoint the state file does not name may be a
 * user's (kept by keepCheckpointEveryNHours, or copied there). Called at the chief's start
 * (CheckpointSaverHook.begin), when no save of this directory is running.
 */
export async function removeSaveDebris(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await io.readdirEntries(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const remove = async (p: string, how: () => Promise<void>) => {
    try {
      await how();
      removed.push(p);
      logging.info(`Removed ${p}, left by a save that did not finish.`);
    } catch (e) {
      if (!io.isNotFound(e)) logging.warning(`Could not remove ${p}, left by a save that did not finish: ${(e as Error).message}`);
    }
  };
  for (const entry of entries) {
    const name = entry.name;
    const p = pyJoin(dir, name);
    if (entry.isDirectory) {
      if ((TEMP_NAME.test(name) || SHARD_DIR.test(name)) && (await onlyParts(p))) await remove(p, () => io.rmRecursive(p));
    } else {
      if (TEMP_NAME.test(name) || TEMPSTATE.test(name)) await remove(p, () => io.unlink(p));
      else if (name.endsWith(MARKER)) await finishDeletion(dir, p.slice(0, -MARKER.length), remove);
    }
  }
  return removed;
}

async function onlyParts(dir: string): Promise<boolean> {
  try {
    const entries = await io.readdirEntries(dir);
    return entries.every((e) => !e.isDirectory && PART.test(e.name));
  } catch {
    return false;
  }
}

async function finishDeletion(dir: string, prefix: string, remove: (p: string, how: () => Promise<void>) => Promise<void>): Promise<void> {
  let marker: Marker;
  try {
    marker = JSON.parse(await io.readText(`${prefix}${MARKER}`)) as Marker;
  } catch {
    return; // not one of ours, or unreadable: leave everything
  }
  if (typeof marker?.latestFilename !== 'string' || typeof marker.metaGraphSuffix !== 'string' || marker.latestFilename.includes('/'))
    return;
  let named: string[];
  try {
    const state = await getCheckpointState(dir, marker.latestFilename, { strict: true });
    named = state ? [state.modelCheckpointPath, ...state.allModelCheckpointPaths] : [];
  } catch {
    return; // a state file that cannot be read might name it
  }
  const self = path.resolve(prefix);
  if (!named.some((n) => path.resolve(n) === self)) {
    await remove(prefix, () => removeCheckpoint(prefix, undefined, marker.metaGraphSuffix));
  }
  await remove(`${prefix}${MARKER}`, () => io.unlink(`${prefix}${MARKER}`));
}
