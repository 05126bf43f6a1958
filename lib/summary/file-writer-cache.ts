/**
 * FileWriterCache: one FileWriter per log directory, process-wide (Python's
 * `tf.compat.v1.summary.FileWriterCache`, alias `SummaryWriterCache`). Hooks given an output
 * directory get their writer here, so the hooks of one session, and a later session of the same
 * process and directory, append to one events file (docs/python-parity.md §8.1).
 */
import { invalidArgument } from '../core/errors';
import { checkOptionNames } from '../core/options';
import type { Graph } from '../core/graph';
import { FileWriter, checkLogdir, logdirKey } from './file-writer';

const cache = new Map<string, FileWriter>();

export interface FileWriterCacheGetOptions {
  /**
   * Written (graph_def + meta_graph_def) when this call creates the writer. Python writes the
   * default graph; there is no default graph in JS, so pass it.
   */
  graph?: Graph | null;
}

const GET_OPTION_NAMES = ['graph'] as const satisfies Array<keyof FileWriterCacheGetOptions>;

export const FileWriterCache = {
  /**
   * The writer for `logdir`, created on first use; a cached writer its user closed is reopened.
   * Keyed by the absolute path (`path.resolve`; URIs such as `gs://...` as given, without trailing
   * slashes): `runs/a`, `./runs/a` and `/cwd/runs/a` are one writer. Python keys by the string as
   * given, so it opens two files for two spellings of one directory (which can then truncate each
   * other, docs/python-parity.md §8.2). Symbolic links are not resolved (the directory may not
   * exist yet).
   */
  get(logdir: string, opts: FileWriterCacheGetOptions = {}): FileWriter {
    checkLogdir(logdir);
    if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
    checkOptionNames(opts, GET_OPTION_NAMES, 'FileWriterCache.get');
    const key = logdirKey(logdir);
    let w = cache.get(key);
    if (!w) {
      w = new FileWriter(logdir, { graph: opts.graph ?? null });
      cache.set(key, w);
    } else if (w.closed) {
      w.reopen();
    }
    return w;
  },

  /** Closes every cached writer (flushing it) and empties the cache. */
  async clear(): Promise<void> {
    const writers = [...cache.values()];
    cache.clear();
    const results = await Promise.allSettled(writers.map((w) => w.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  },

  /** Flushes every cached writer; resolves when all are on disk. */
  async flushAll(): Promise<void> {
    await Promise.all([...cache.values()].filter((w) => !w.closed).map((w) => w.flush()));
  },

  /** Number of cached writers. */
  get size(): number {
    return cache.size;
  },
};

/** Python's other name for the same cache. */
export const SummaryWriterCache = FileWriterCache;
