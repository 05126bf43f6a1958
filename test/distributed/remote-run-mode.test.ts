/**
 * Against a remote master, monitored sessions run 'async' unless told otherwise: a run that waits
 * for a task that stopped answering must not hold the JS thread (timers, I/O, signal handlers).
 * With 'auto', the worker's millisecond steps ran on the JS thread and the child below never got
 * to the timer that resumes its ps: it hung until killed.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, runTs } from '../support/child';

describe('a remote master runs steps off the JS thread by default', () => {
  it('keeps the event loop turning while a ps is stopped mid-training', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const r = runTs(path.join(__dirname, 'children', 'stalled-ps.ts'), ports.map(String), {}, 90_000);
    // Its ps children, ended by PID whatever happened to it (a hung child is killed by the timeout, they are not).
    for (const pid of (/^PS (\d+) (\d+)$/m.exec(r.stdout) ?? []).slice(1).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    expect(r.error, `the child to train across a 2 s ps stop within 90 s: ${r.stdout}\n${r.stderr}`).toBeUndefined();
    const m = /^DONE (\d+) (\d+)$/m.exec(r.stdout);
    expect(m, `${r.stdout}\n${r.stderr}`).not.toBeNull();
    expect(Number(m![1])).toBe(30);
    // The ps was stopped for 2 s; the event loop never waited for it.
    expect(Number(m![2])).toBeLessThan(1000);
  }, 120_000);
});
