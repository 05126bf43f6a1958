/**
 * The chief's restore when the latest checkpoint does not load (a 0-byte `.index`, a truncated
 * `.data`, a missing file): the older checkpoints the state file lists are tried, newest first, and
 * the first that loads is used, with a warning naming the broken ones and the one used. Python
 * fails (or starts from step 0 when the files are gone) although older checkpoints are intact.
 *
 * Only damaged or missing files lead to an older checkpoint: a checkpoint that does not match the
 * graph (a missing variable, another shape) fails as before, since every older one would too.
 */
import { DataLossError, NotFoundError, ValueError } from '../../core/errors';
import * as logging from '../../core/logging';
import type { Saver, SaverSession } from '../saver';

/** The errors of a checkpoint whose files are damaged or gone (see Saver.restore). */
function isDamaged(e: unknown): boolean {
  if (e instanceof DataLossError) return true;
  if (e instanceof NotFoundError) return !e.message.startsWith('Restoring from checkpoint failed.');
  return e instanceof ValueError && e.message.startsWith('The passed save_path is not a valid checkpoint');
}

/**
 * Restores `latest`, else the newest of `all` (oldest first, as the state file lists them) that
 * loads; returns the prefix used. When none loads, throws the error of `latest`.
 */
export async function restoreNewestLoadable(session: SaverSession, saver: Saver, latest: string, all: readonly string[]): Promise<string> {
  const candidates = [latest, ...[...all].reverse().filter((p) => p !== latest)];
  const broken: Array<[string, Error]> = [];
  for (const prefix of candidates) {
    try {
      await saver.restore(session, prefix);
    } catch (e) {
      if (!isDamaged(e)) throw e;
      broken.push([prefix, e as Error]);
      continue;
    }
    if (broken.length) {
      logging.warning(
        `The latest checkpoint ${latest} could not be restored; restored ${prefix} instead, the newest that loads. ` +
          `Not loaded: ${broken.map(([p, err]) => `${p} (${err.name}: ${err.message.split('\n')[0]})`).join('; ')}`,
      );
    }
    return prefix;
  }
  throw broken[0][1];
}
