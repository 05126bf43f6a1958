/**
 * Type tests (checked by `vitest --typecheck`, part of npm test): a monitored run's result has
 * the type of its fetches, as `Session.run`'s does.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { Operation, Output, Tensor } from '../../lib';
import type { MonitoredSession } from '../../lib/train/monitored-session';
import type { Session } from '../../lib/core/session';

declare const sess: MonitoredSession;
declare const raw: Session;
declare const loss: Output;
declare const train: Operation;

describe('MonitoredSession.run is typed by its fetches', () => {
  it('a tensor name or Output gives a Tensor (or null), an op gives null', () => {
    expectTypeOf(sess.run('loss:0')).resolves.toEqualTypeOf<Tensor | null>();
    expectTypeOf(sess.run(loss)).resolves.toEqualTypeOf<Tensor | null>();
    expectTypeOf(sess.run(train)).resolves.toEqualTypeOf<null>();
  });

  it("an object of fetches gives an object with the same keys (the README's `const { loss } = await sess.run(...)`)", async () => {
    const { loss: l, train: t } = await sess.run({ loss, train });
    expectTypeOf(l).toEqualTypeOf<Tensor | null>();
    expectTypeOf(t).toEqualTypeOf<null>();
    expectTypeOf(sess.run({ loss, train })).resolves.not.toBeAny();
  });

  it('arrays and nesting as Session.run', () => {
    expectTypeOf(sess.run([loss, train])).resolves.toEqualTypeOf<Array<Tensor | null>>();
    expectTypeOf(sess.run({ a: [loss], b: { c: train } })).toEqualTypeOf(raw.run({ a: [loss], b: { c: train } }));
  });

  it('refuses what cannot be fetched', () => {
    // @ts-expect-error a number is not a fetch
    void sess.run(42);
  });
});
