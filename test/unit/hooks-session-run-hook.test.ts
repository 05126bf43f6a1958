/**
 * The hook API objects (docs/python-parity.md §5.1).
 */
import { describe, expect, it } from 'vitest';
import { SessionRunArgs, SessionRunContext, SessionRunHook, SessionRunValues } from '../../lib/hooks/session-run-hook';
import { Coordinator } from '../../lib/core/coordinator';
import { FakeSession } from '../support/fakes';

describe('SessionRunHook', () => {
  it('has no-op methods, and beforeRun asks for nothing', async () => {
    const hook = new SessionRunHook();
    const sess = new FakeSession();
    const ctx = new SessionRunContext(new SessionRunArgs('x:0'), sess);
    expect(hook.begin()).toBeUndefined();
    expect(hook.afterCreateSession(sess, new Coordinator())).toBeUndefined();
    expect(hook.beforeRun(ctx)).toBeNull();
    expect(hook.afterRun(ctx, new SessionRunValues(null, {}, {}))).toBeUndefined();
    expect(hook.end(sess)).toBeUndefined();
    expect(sess.runs).toHaveLength(0);
  });
});

describe('SessionRunArgs', () => {
  it('defaults feeds and options to null', () => {
    const args = new SessionRunArgs(['a:0', 'train']);
    expect(args).toEqual({ fetches: ['a:0', 'train'], feedDict: null, options: null });
  });
});

describe('SessionRunContext', () => {
  it('keeps the original arguments and the session, and records a stop request', () => {
    const sess = new FakeSession();
    const args = new SessionRunArgs('a:0', { 'x:0': 1 });
    const ctx = new SessionRunContext(args, sess);
    expect(ctx.originalArgs).toBe(args);
    expect(ctx.session).toBe(sess);
    expect(ctx.stopRequested).toBe(false);
    ctx.requestStop();
    expect(ctx.stopRequested).toBe(true);
  });
});
