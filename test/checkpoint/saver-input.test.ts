/**
 * Bad input to the Saver: every path parameter is checked for NUL characters, every options object
 * for unknown names and value types, before anything touches TF or the disk; a save whose save op or
 * `.meta` write fails leaves no half checkpoint (no `<prefix>_temp/`, no new `.index`/`.data`
 * without the rest) and the state file as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError, OutOfRangeError } from '../../lib/core/errors';
import { Saver } from '../../lib/checkpoint/saver';
import { getCheckpointState, latestCheckpoint } from '../../lib/checkpoint/checkpoint-state';
import { runTs } from '../support/child';
import { cleanupTmp, newSession, readSmall, setSmall, smallGraph, tmp } from './support';
import { catchError, expectArgumentError } from '../support/errors';

afterAll(cleanupTmp);

const sessions: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
});

/** Every entry below `dir` (directories with a trailing '/') with the bytes of the files. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        out.set(`${path.relative(dir, p)}/`, '');
        walk(p);
      } else out.set(path.relative(dir, p), fs.readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

interface Saved {
  dir: string;
  prefix: string;
  saver: Saver;
  sess: ReturnType<typeof newSession>;
  graph: ReturnType<typeof smallGraph>;
}

/** A directory holding one good checkpoint `model.ckpt-5` (and its state file). */
async function saved(opts: { sharded?: boolean; maxToKeep?: number } = {}): Promise<Saved> {
  const dir = tmp('tfm-saver-input-');
  const graph = smallGraph();
  const sess = newSession(graph);
  sessions.push(sess);
  await setSmall(sess, 5);
  const saver = new Saver({ graph, ...opts });
  const prefix = (await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 5 }))!;
  await setSmall(sess, 0);
  return { dir, prefix, saver, sess, graph };
}

/** The directory after a failed save of step `step`: exactly as before, the old checkpoint still the latest and restorable. */
async function expectUntouched(s: Saved, before: Map<string, string>): Promise<void> {
  expect(snapshot(s.dir)).toEqual(before);
  const state = await getCheckpointState(s.dir);
  expect(state!.modelCheckpointPath).toBe(s.prefix);
  expect(state!.allModelCheckpointPaths).toEqual([s.prefix]);
  expect(await latestCheckpoint(s.dir)).toBe(s.prefix);
  await s.saver.restore(s.sess, s.prefix);
  expect((await readSmall(s.sess)).step).toBe(5n);
}

describe('Saver: NUL characters in paths', () => {
  it('save(dir/x\\0y): ArgumentError naming savePath; nothing written, the state file unchanged', async () => {
    const s = await saved();
    const before = snapshot(s.dir);
    await expectArgumentError(s.saver.save(s.sess, path.join(s.dir, 'x\0y'), { globalStep: 7 }), 'savePath');
    await expectUntouched(s, before);
    expect(s.saver.lastCheckpoints).toEqual([s.prefix]);
  });

  it('restore, exportMetaGraph, latestFilename, filename, recoverLastCheckpoints, setLastCheckpoints, state functions', async () => {
    const s = await saved();
    const before = snapshot(s.dir);
    await expectArgumentError(s.saver.restore(s.sess, `${s.prefix}\0x`), 'savePath');
    await expectArgumentError(s.saver.exportMetaGraph(path.join(s.dir, 'g\0.meta')), 'filename');
    await expectArgumentError(
      s.saver.save(s.sess, path.join(s.dir, 'model.ckpt'), { globalStep: 6, latestFilename: 'check\0point' }),
      'latestFilename',
    );
    await expectArgumentError(() => new Saver({ graph: s.graph, filename: 'mo\0del' }), 'filename');
    await expectArgumentError(s.saver.recoverLastCheckpoints([`${s.prefix}\0`]), 'checkpointPaths[0]');
    await expectArgumentError(() => s.saver.setLastCheckpoints([s.prefix, 'a\0b']), 'paths[1]');
    await expectArgumentError(latestCheckpoint(`${s.dir}\0x`), 'checkpointDir');
    await expectArgumentError(getCheckpointState(s.dir, 'check\0point'), 'latestFilename');
    await expectUntouched(s, before);
  });
});

describe('Saver: a failed .meta write', () => {
  it('leaves no half checkpoint: TF-typed error naming the .meta, new .index/.data removed, state unchanged, nothing deleted', async () => {
    // maxToKeep 1: a successful save of step 6 would delete model.ckpt-5; a failed one must not.
    const s = await saved({ maxToKeep: 1 });
    const meta = path.join(s.dir, 'model.ckpt-6.meta');
    fs.mkdirSync(meta);
    const before = snapshot(s.dir);
    await setSmall(s.sess, 6);
    const e = await catchError(s.saver.save(s.sess, path.join(s.dir, 'model.ckpt'), { globalStep: 6 }));
    expect(e).toBeInstanceOf(FailedPreconditionError);
    expect(e.message).toBe(`${meta}; Is a directory`);
    await expectUntouched(s, before);
    expect(fs.readdirSync(s.dir).filter((f) => f.startsWith('model.ckpt-6') && f !== 'model.ckpt-6.meta')).toEqual([]);
    expect(s.saver.lastCheckpoints).toEqual([s.prefix]);
    // The next save works and rotates as usual.
    fs.rmdirSync(meta);
    await setSmall(s.sess, 7);
    const next = await s.saver.save(s.sess, path.join(s.dir, 'model.ckpt'), { globalStep: 7 });
    expect((await getCheckpointState(s.dir))!.allModelCheckpointPaths).toEqual([next]);
    expect(fs.readdirSync(s.dir).sort()).toEqual([
      'checkpoint',
      'model.ckpt-7.data-00000-of-00001',
      'model.ckpt-7.index',
      'model.ckpt-7.meta',
    ]);
  });

  it('the .meta written before the state: a successful save names a checkpoint whose files all exist', async () => {
    const s = await saved();
    const order: string[] = [];
    const watcher = fs.watch(s.dir, (_ev, f) => {
      if (f && (f === 'checkpoint' || f.endsWith('.meta')) && !order.includes(f)) order.push(f);
    });
    try {
      await s.saver.save(s.sess, path.join(s.dir, 'model.ckpt'), { globalStep: 6 });
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      watcher.close();
    }
    expect(order.indexOf('model.ckpt-6.meta')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('model.ckpt-6.meta')).toBeLessThan(order.indexOf('checkpoint'));
  });
});

describe('Saver: a failed save op', () => {
  for (const sharded of [true, false]) {
    it(`${sharded ? 'sharded' : 'not sharded'}, .index blocked: typed error naming it; no _temp dir, no new .data or temp files, state unchanged`, async () => {
      const s = await saved({ sharded });
      const blocked = path.join(s.dir, 'model.ckpt-6.index');
      fs.mkdirSync(blocked);
      const before = snapshot(s.dir);
      await setSmall(s.sess, 6);
      const e = await catchError(s.saver.save(s.sess, path.join(s.dir, 'model.ckpt'), { globalStep: 6 }));
      expect(e).toBeInstanceOf(FailedPreconditionError);
      expect(e.message).toContain(blocked);
      await expectUntouched(s, before);
      expect(fs.existsSync(path.join(s.dir, 'model.ckpt-6_temp'))).toBe(false);
      expect(s.saver.lastCheckpoints).toEqual([s.prefix]);
    });
  }

  it('sharded, a stale <prefix>_temp/ that blocks a shard: the save writes under its own temporary prefix and succeeds, leaving it alone', async () => {
    const s = await saved({ sharded: true });
    const stale = path.join(s.dir, 'model.ckpt-6_temp');
    fs.mkdirSync(stale);
    fs.mkdirSync(path.join(stale, 'part-00000-of-00001.data-00000-of-00001'));
    await setSmall(s.sess, 6);
    const prefix = await s.saver.save(s.sess, path.join(s.dir, 'model.ckpt'), { globalStep: 6 });
    expect(prefix).toBe(path.join(s.dir, 'model.ckpt-6'));
    await s.saver.restore(s.sess, prefix);
    expect(await readSmall(s.sess)).toEqual({ a: [6, -6], step: 6n, r: [6, 7, 8] });
    expect(fs.existsSync(path.join(stale, 'part-00000-of-00001.data-00000-of-00001'))).toBe(true);
    expect(fs.readdirSync(s.dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('the disk fills up during the save (file size limit in a child process): typed error, no _temp dir, no new files, state unchanged', () => {
    const dir = tmp('tfm-saver-full-');
    const child = path.join(dir, 'child.ts');
    const lib = path.resolve(__dirname, '../../lib');
    fs.writeFileSync(
      child,
      `
      import { execFileSync } from 'node:child_process';
      import fs from 'node:fs';
      import path from 'node:path';
      import { Graph } from '${lib}/core/graph';
      import { Session } from '${lib}/core/session';
      import { Saver } from '${lib}/checkpoint/saver';
      process.on('SIGXFSZ', () => {}); // the write fails with EFBIG instead of killing the process
      (async () => {
        const dir = process.argv[2];
        const g = new Graph();
        g.addOp({ type: 'VariableV2', name: 'big', attrs: { dtype: 'float32', shape: [100000] } });
        const z = g.addOp({ type: 'Const', name: 'z', attrs: { dtype: 'float32', value: { dtype: 'float32', shape: [100000], data: new Float32Array(100000).fill(1) } } });
        g.addOp({ type: 'Assign', name: 'init', inputs: ['big', z] });
        const sess = new Session(g, { config: { intraOpParallelismThreads: 1, interOpParallelismThreads: 1 } });
        await sess.run('init');
        const saver = new Saver({ graph: g, sharded: true });
        await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 1, writeMetaGraph: false });
        const state = fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8');
        // From now on no file of this process may grow beyond 64 KiB: the 400 KB data file cannot be written.
        execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=65536']);
        try {
          await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 2, writeMetaGraph: false });
          console.log(JSON.stringify({ ok: true }));
        } catch (e) {
          console.log(JSON.stringify({ ok: false, name: (e as Error).name, message: (e as Error).message, stateSame: fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8') === state }));
        }
        await sess.close();
      })();
    `,
    );
    const ckdir = path.join(dir, 'ck');
    fs.mkdirSync(ckdir);
    const r = runTs(child, [ckdir]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out).toMatchObject({ ok: false, name: OutOfRangeError.name, stateSame: true });
    expect(out.message).toMatch(/model\.ckpt-2\.tmp[0-9a-f]{32}_temp\/part-00000-of-00001\.data-00000-of-00001.*File too large/);
    expect(fs.readdirSync(ckdir).sort()).toEqual(['checkpoint', 'model.ckpt-1.data-00000-of-00001', 'model.ckpt-1.index']);
  });
});

describe('Saver: unknown option names', () => {
  it('constructor, save, fromProto, exportMetaGraph: ArgumentError naming the unknown option; nothing saved', async () => {
    const s = await saved();
    const before = snapshot(s.dir);
    await expectArgumentError(() => new Saver({ graph: s.graph, maxToKep: 2 } as never), 'maxToKep');
    const e = await expectArgumentError(s.saver.save(s.sess, path.join(s.dir, 'model.ckpt'), { global_step: 3 } as never), 'global_step');
    expect(e.message).toContain('globalStep');
    await expectArgumentError(() => Saver.fromProto(s.saver.saverDef!, { importscope: 'x' } as never), 'importscope');
    await expectArgumentError(() => Saver.fromGraph(s.graph, { maxToKep: 1 } as never), 'maxToKep');
    await expectArgumentError(s.saver.exportMetaGraph(path.join(s.dir, 'x.meta'), { stripDefaults: true } as never), 'stripDefaults');
    await expectUntouched(s, before);
  });
});

describe('Saver: option types', () => {
  it('constructor: name, booleans, now, keepCheckpointEveryNHours, varList, garbage SaverDef bytes', async () => {
    const graph = smallGraph();
    await expectArgumentError(() => new Saver({ graph, name: 5 as never }), 'name');
    await expectArgumentError(() => new Saver({ graph, sharded: 'yes' as never }), 'sharded');
    await expectArgumentError(() => new Saver({ graph, padStepNumber: 1 as never }), 'padStepNumber');
    await expectArgumentError(() => new Saver({ graph, now: 5 as never }), 'now');
    await expectArgumentError(() => new Saver({ graph, keepCheckpointEveryNHours: Infinity }), 'keepCheckpointEveryNHours');
    await expectArgumentError(() => new Saver({ graph, keepCheckpointEveryNHours: -1 }), 'keepCheckpointEveryNHours');
    await expectArgumentError(() => new Saver({ graph, varList: 'a' as never }), 'varList');
    const e = await expectArgumentError(() => new Saver({ graph, saverDef: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }), 'saverDef');
    expect(e.message).toMatch(/^Expected a serialized tensorflow\.SaverDef for saverDef but the bytes do not parse/);
    await expectArgumentError(() => Saver.fromProto(new Uint8Array([0x0a, 0x7f])), 'saverDef');
  });

  it('save: metaGraphSuffix, booleans, options object; nothing written', async () => {
    const s = await saved();
    const before = snapshot(s.dir);
    const base = path.join(s.dir, 'model.ckpt');
    await expectArgumentError(s.saver.save(s.sess, base, { globalStep: 6, metaGraphSuffix: 5 as never }), 'metaGraphSuffix');
    await expectArgumentError(s.saver.save(s.sess, base, { globalStep: 6, metaGraphSuffix: 'a/b' }), 'metaGraphSuffix');
    await expectArgumentError(s.saver.save(s.sess, base, { globalStep: 6, writeMetaGraph: 'false' as never }), 'writeMetaGraph');
    await expectArgumentError(s.saver.save(s.sess, base, { globalStep: 6, writeState: 0 as never }), 'writeState');
    await expectArgumentError(s.saver.save(s.sess, base, { globalStep: 6, stripDefaultAttrs: 'no' as never }), 'stripDefaultAttrs');
    await expectArgumentError(s.saver.save(s.sess, base, 'x' as never), 'opts');
    await expectUntouched(s, before);
  });
});
