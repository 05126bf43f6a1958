/**
 * Bad input to the summary layer: NUL characters in paths and unknown option names are
 * ArgumentErrors naming the parameter, raised before TF creates any file; a directory given to
 * summaryIterator is a TF-typed error naming it; a write that fails before `close()` makes
 * `close()` reject (TF's own close only logs it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailedPreconditionError, NotFoundError, OutOfRangeError } from '../../lib/core/errors';
import { FileWriter, FileWriterCache, readEvents, scalarSummary, summaryIterator, tfRecordIterator } from '../../lib/summary';
import { runTs } from '../support/child';
import { catchError, expectArgumentError } from '../support/errors';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-writer-input-'));
});
afterAll(async () => {
  await FileWriterCache.clear();
  fs.rmSync(root, { recursive: true, force: true });
});

let n = 0;
const freshDir = () => path.join(root, `run${++n}`);

async function drain(it: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of it) {
    /* read all */
  }
}

describe('NUL characters in paths', () => {
  it('FileWriter(logdir), FileWriterCache.get(logdir), filenameSuffix: ArgumentError; no file at the cut path', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir);
    const cached = FileWriterCache.size; // process-wide: other test files may share this worker
    await expectArgumentError(() => new FileWriter(path.join(dir, 'a\0b')), 'logdir');
    await expectArgumentError(() => FileWriterCache.get(path.join(dir, 's\0t')), 'logdir');
    await expectArgumentError(() => new FileWriter(dir, { filenameSuffix: '.x\0y' }), 'filenameSuffix');
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(FileWriterCache.size).toBe(cached);
  });

  it('summaryIterator / tfRecordIterator / readEvents: ArgumentError naming path', async () => {
    const dir = freshDir();
    const w = new FileWriter(dir);
    const file = w.fileName!;
    await w.close();
    await expectArgumentError(drain(summaryIterator(`${file}\0junk`)), 'path');
    await expectArgumentError(drain(tfRecordIterator(`${file}\0junk`)), 'path');
    await expectArgumentError(readEvents(`${file}\0junk`), 'path');
  });
});

describe('unknown option names', () => {
  it('FileWriter({ flushSec }), FileWriterCache.get({ graf }), summaryIterator({ chunksize }): ArgumentError naming the option; nothing created', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir);
    const cached = FileWriterCache.size; // process-wide: other test files may share this worker
    const e = await expectArgumentError(() => new FileWriter(dir, { flushSec: 1 } as never), 'flushSec');
    expect(e.message).toContain('flushSecs');
    await expectArgumentError(() => FileWriterCache.get(dir, { graf: null } as never), 'graf');
    await expectArgumentError(() => FileWriterCache.get(dir, 5 as never), 'opts');
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(FileWriterCache.size).toBe(cached);
    const w = new FileWriter(dir);
    const file = w.fileName!;
    await w.close();
    await expectArgumentError(drain(summaryIterator(file, { chunksize: 64 } as never)), 'chunksize');
  });
});

describe('summaryIterator of a directory', () => {
  it('FailedPreconditionError "<path>; Is a directory" (as NotFoundError "<path>; No such file or directory" for a missing file)', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir);
    for (const iter of [summaryIterator, tfRecordIterator]) {
      const e = await catchError(drain(iter(dir)));
      expect(e).toBeInstanceOf(FailedPreconditionError);
      expect(e.message).toBe(`${dir}; Is a directory`);
      const m = await catchError(drain(iter(path.join(dir, 'nope'))));
      expect(m).toBeInstanceOf(NotFoundError);
      expect(m.message).toBe(`${path.join(dir, 'nope')}; No such file or directory`);
    }
  });
});

describe('FileWriter#close() after a failed write', () => {
  // A file size limit (RLIMIT_FSIZE, set on the child itself after the events file is open) makes
  // TF's final write fail with EFBIG, as a full disk makes it fail with ENOSPC; SIGXFSZ is caught
  // so the write fails instead of killing the process.
  function run(mode: 'close' | 'flush-then-close'): { results: Array<{ ok: boolean; name?: string; message?: string }>; dir: string } {
    const dir = freshDir();
    fs.mkdirSync(dir);
    const child = path.join(dir, 'child.ts');
    const lib = path.resolve(__dirname, '../../lib');
    fs.writeFileSync(
      child,
      `
      import { execFileSync } from 'node:child_process';
      import fs from 'node:fs';
      import { FileWriter } from '${lib}/summary/file-writer';
      import { textSummary } from '${lib}/summary/summary-builders';
      process.on('SIGXFSZ', () => {});
      const report = async (p: Promise<unknown>) => {
        try {
          await p;
          console.log(JSON.stringify({ ok: true }));
        } catch (e) {
          console.log(JSON.stringify({ ok: false, name: (e as Error).name, message: (e as Error).message }));
        }
      };
      (async () => {
        const w = new FileWriter(process.argv[2] + '/ev', { maxQueue: 1000, flushSecs: 1000 });
        execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=' + (fs.statSync(w.fileName!).size + 2048)]);
        for (let i = 0; i < 100; i++) w.addSummary(textSummary('t', 'x'.repeat(100)), i);
        if (process.argv[3] === 'flush-then-close') await report(w.flush());
        await report(w.close());
      })();
    `,
    );
    const r = runTs(child, [dir, mode]);
    expect(r.status, r.stderr).toBe(0);
    return {
      results: r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      dir: path.join(dir, 'ev'),
    };
  }

  it('close() rejects with the TF error of the failed final write, naming the events file', () => {
    const { results, dir } = run('close');
    expect(results).toHaveLength(1);
    const file = fs.readdirSync(dir)[0];
    expect(results[0]).toMatchObject({ ok: false, name: OutOfRangeError.name });
    expect(results[0].message).toContain(`${path.join(dir, file)}; File too large`);
    expect(results[0].message).toContain('Failed to flush 100 events');
  });

  it('a flush() that rejected already reported the error: close() after it resolves', () => {
    const { results } = run('flush-then-close');
    expect(results[0]).toMatchObject({ ok: false, name: OutOfRangeError.name });
    expect(results[1]).toEqual({ ok: true });
  });

  it('a writer with nothing left to write closes without error (the extra flush costs nothing)', async () => {
    const w = new FileWriter(freshDir());
    const file = w.fileName!;
    w.addSummary(scalarSummary('a', 1), 1);
    await w.flush();
    await w.close();
    expect((await readEvents(file)).length).toBe(2);
  });
});
