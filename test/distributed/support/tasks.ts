/**
 * Cluster tasks as real processes for the distributed tests: `tf-monitored server` and
 * `tf-monitored train` (through tsx) or Python scripts, each with its TF_CONFIG. Every wait is
 * bounded and fails saying what it waited for; every process is remembered and ended by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort } from '../../support/child';
import { PY_PREAMBLE, pythonExecutable } from '../../support/python';

export const CLI = path.join(ROOT, 'lib', 'cli', 'main.ts');
export const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'distributed');
export const META = path.join(FIXTURE, 'model.meta');

export interface Cluster {
  ps: string[];
  worker: string[];
  chief?: string[];
}

/** The fixture's graph needs 2 ps tasks (its variables are on /job:ps/task:0 and task:1). */
export async function localCluster(workers = 2, chief = false): Promise<Cluster> {
  const addr = async () => `127.0.0.1:${await freePort()}`;
  const c: Cluster = { ps: [await addr(), await addr()], worker: [] };
  for (let i = 0; i < workers; i++) c.worker.push(await addr());
  if (chief) c.chief = [await addr()];
  return c;
}

export function tfConfig(cluster: Cluster, type: string, index: number): string {
  return JSON.stringify({ cluster, task: { type, index } });
}

/** The fixture's two steps of feeds, used in turn. */
export function feedsFile(dir: string): string {
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8'));
  const feeds = expected.steps.map((s: { feeds: Record<string, { values: number[] }> }) =>
    Object.fromEntries(Object.entries(s.feeds).map(([k, v]) => [k, v.values])),
  );
  const file = path.join(dir, 'feeds.json');
  fs.writeFileSync(file, JSON.stringify(feeds));
  return file;
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const all = new Set<Task>();

export class Task {
  readonly child: ChildProcess;
  out = '';
  err = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    env: Record<string, string>,
  ) {
    this.child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', TF_ENABLE_ONEDNN_OPTS: '0', PYTHONUNBUFFERED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        all.delete(this);
        resolve();
      }),
    );
    all.add(this);
  }

  get pid(): number {
    return this.child.pid!;
  }

  private describe(): string {
    return `${this.name} (pid ${this.pid}${this.exit ? `, exited ${this.exit.code ?? this.exit.signal}` : ''})\n--- stdout ---\n${this.out.slice(-3000)}\n--- stderr ---\n${this.err.slice(-3000)}`;
  }

  /** Resolves with the first stdout match of `re`; fails after `ms`, or when the process exits first. */
  async waitFor(re: RegExp, ms: number, what: string): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.out.match(re);
      if (m) return m;
      if (this.exit) throw new Error(`${this.name} exited before ${what}: ${this.describe()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}: ${this.describe()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The exit code; fails when the process has not exited within `ms`. */
  async exitCode(ms: number, what: string): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}: ${this.describe()}`)), ms);
    });
    try {
      await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return this.exit!.code;
  }

  /** Expects a clean exit (code 0) within `ms`. */
  async succeeds(ms: number, what: string): Promise<void> {
    const code = await this.exitCode(ms, what);
    if (code !== 0) throw new Error(`${this.name} failed (${code ?? this.exit!.signal}) instead of ${what}: ${this.describe()}`);
  }

  /** Signals this process by its PID (no-op once it exited). */
  kill(signal: NodeJS.Signals): void {
    if (!this.exit) process.kill(this.pid, signal);
  }

  /** The global steps its `step N` lines printed. */
  steps(): number[] {
    return [...this.out.matchAll(/^step (\d+)/gm)].map((m) => Number(m[1]));
  }
}

/** SIGKILLs every task still running (afterAll / afterEach), each by its PID. */
export function killAll(): void {
  for (const t of all) t.kill('SIGKILL');
}

export function cli(name: string, args: string[], tfConfigJson?: string): Task {
  return new Task(name, process.execPath, ['--import', 'tsx', CLI, ...args], tfConfigJson ? { TF_CONFIG: tfConfigJson } : {});
}

/** `tf-monitored server` for a task of the cluster; resolves once it prints its target. */
export async function psTask(cluster: Cluster, index: number, ms = 60_000, graceSecs = 3): Promise<Task> {
  const t = cli(`ps ${index}`, ['server', '--stop-grace-secs', String(graceSecs)], tfConfig(cluster, 'ps', index));
  await t.waitFor(/^serving \/job:ps\/task:\d+ at grpc:\/\/\S+$/m, ms, `ps ${index} to print its target`);
  return t;
}

export interface TrainFlags {
  lastStep?: number;
  numSteps?: number;
  checkpointDir?: string;
  saveSteps?: number;
  logEvery?: number;
  extra?: string[];
}

export function trainTask(name: string, cluster: Cluster, type: string, index: number, feeds: string, f: TrainFlags): Task {
  const stop = f.lastStep !== undefined ? ['--last-step', String(f.lastStep)] : ['--num-steps', String(f.numSteps)];
  const args = [
    'train',
    '--graph',
    META,
    '--feeds',
    feeds,
    ...stop,
    '--log-every',
    String(f.logEvery ?? 10),
    '--worker-poll-secs',
    '0.2',
    '--save-summaries-steps',
    'off',
    '--log-step-count-steps',
    'off',
    '--verbose',
  ];
  if (f.checkpointDir)
    args.push('--checkpoint-dir', f.checkpointDir, '--save-checkpoint-steps', String(f.saveSteps ?? 50), '--save-checkpoint-secs', 'off');
  return cli(name, [...args, ...(f.extra ?? [])], tfConfig(cluster, type, index));
}

/** A Python script (with the test preamble) as a task process. */
export function pythonTask(name: string, code: string, env: Record<string, string> = {}): Task {
  const dir = tmpDir('tfm-pytask-');
  const file = path.join(dir, 'task.py');
  fs.writeFileSync(file, PY_PREAMBLE + code);
  return new Task(name, pythonExecutable(), [file], env);
}

/** The fault tests' timing is random but reproducible from the seed. */
export { mulberry32 as seeded } from '../../support/seeded-random';
