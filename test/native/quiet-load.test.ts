import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/child';

const child = path.join(__dirname, 'children', 'quiet-load.ts');

/** The environment with every TF_* variable removed: what a user who never heard of them has. */
function envWithoutTF(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TF_')));
}

function run(mode: 'quiet' | 'verbose') {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, mode], {
    cwd: ROOT,
    env: envWithoutTF(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ checkpoint: true, events: true });
  return r;
}

describe('quiet by default', () => {
  it('prints nothing on stderr while loading TF, training, saving checkpoints and writing summaries (no TF_* variable set)', () => {
    // Without the load-time filter, TF 2.21 prints absl's "All log messages before
    // absl::InitializeLog()" and the oneDNN notice from a static initializer, whatever
    // TF_CPP_MIN_LOG_LEVEL says.
    expect(run('quiet').stderr).toBe('');
  });

  it("still shows TF's own logs when loaded verbose", () => {
    expect(run('verbose').stderr).toMatch(/port\.cc:\d+\] oneDNN custom operations are on/);
  });
});
