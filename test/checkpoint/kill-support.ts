/**
 * Helpers of the kill tests: a seeded generator, the step of a checkpoint prefix, and a runner of
 * children/restart-loop.ts. The child is bundled once into plain JS (esbuild, which tsx ships):
 * these tests start some 60 processes, and tsx's loader roughly doubled each one's start-up.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from '../support/child';

export { mulberry32 } from '../support/seeded-random';

/** The step of `<dir>/model.ckpt-<step>`. */
export function stepOf(prefix: string): number {
  return Number(/-(\d+)$/.exec(prefix)![1]);
}

export interface ChildArgs {
  dir: string;
  vars: number;
  nameLength: number;
  saveGraphDef: boolean;
  restarts: number;
  killAt: number;
  killIn: 'resave' | 'save';
  killFrom: 'start' | 'merge';
  delayMs: number;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/**
 * Bundles the child (once per runner) and returns a function that runs it to its end. With
 * KILL_TEST_LIB=<dir> (a copy of lib/, e.g. `git archive <commit> lib | tar -x -C /tmp/old`), the
 * child is built against that copy's files where it has them: how the tests show what older code does.
 */
export async function childRunner(): Promise<(args: ChildArgs) => Promise<ChildResult>> {
  // Under the package root: the addon is found from the bundle's own folder, upwards.
  const outDir = path.join(ROOT, 'node_modules', '.cache', 'tf-monitored-tests');
  fs.mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `restart-loop-${process.pid}.cjs`);
  process.once('exit', () => fs.rmSync(outfile, { force: true }));
  const altLib = process.env.KILL_TEST_LIB;
  const libDir = path.join(ROOT, 'lib') + path.sep;
  await build({
    entryPoints: [path.join(__dirname, 'children', 'restart-loop.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    logLevel: 'warning',
    external: ['node-gyp-build'],
    plugins: altLib
      ? [
          {
            name: 'alt-lib',
            setup(b) {
              b.onLoad({ filter: /\.ts$/ }, (a) => {
                const alt = a.path.startsWith(libDir) ? path.join(altLib, a.path.slice(libDir.length)) : null;
                if (!alt || !fs.existsSync(alt)) return undefined;
                return { contents: fs.readFileSync(alt, 'utf8'), loader: 'ts', resolveDir: path.dirname(a.path) };
              });
            },
          },
        ]
      : [],
  });
  return (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [outfile, JSON.stringify(args)], {
        cwd: ROOT,
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, out, err }));
    });
}
