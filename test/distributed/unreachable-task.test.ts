/**
 * A worker whose parameter servers never answer: TF's master waits for every task without a limit
 * (as in Python), and says so only in TF's own log, which this package hides by default. The
 * session manager says it in ours, every 10 s, naming the master. Runs in a child process: the
 * stuck run cannot be cancelled, so the test kills it.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startTs } from '../support/child';

const child = path.join(__dirname, 'children', 'unreachable-ps.ts');
const started: Array<{ kill: () => void }> = [];
afterAll(() => started.forEach((c) => c.kill()));

describe('a worker whose ps tasks are unreachable', () => {
  it('logs that it is still waiting for the master instead of hanging silently', async () => {
    const [psPort, workerPort] = [await freePort(), await freePort()];
    const run = startTs(child, [String(psPort), String(workerPort)], /^LOG WARNING (Still waiting for grpc:\/\/\S+ after \d+ s: .*)$/m);
    started.push({ kill: () => run.child.kill('SIGKILL') });
    const [, message] = await run.line;
    expect(message).toMatch(
      new RegExp(
        `^Still waiting for grpc://(localhost|127\\.0\\.0\\.1):${workerPort} after 1\\d s: TF's master makes a session only once every task of the cluster answers`,
      ),
    );
    expect(run.output().out).not.toMatch(/CREATED|ERROR/);
  }, 60_000);
});
