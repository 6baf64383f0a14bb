import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { of, Subject } from 'rxjs';
import { ROOT_INODE, type TgfsEvent } from '../../../src/events/types.js';
import { evolve } from '../../../src/projections/namespace/evolve.js';
import { resolvePath } from '../../../src/projections/namespace/queries.js';
import { initialNamespaceState, type NamespaceState } from '../../../src/projections/namespace/state.js';
import { Projection } from '../../../src/projections/projection.js';
import { Author, inode, MACHINE_A } from './event-builders.js';

describe('Projection', () => {
  test('folds the replay, publishes once, then publishes after each live event', async () => {
    const a = new Author(MACHINE_A);
    const replay = [a.mkdir(inode(1), ROOT_INODE, 'd'), a.touch(inode(2), inode(1), 'f')];
    const live = new Subject<TgfsEvent>();
    const projection = new Projection<NamespaceState>(initialNamespaceState(), evolve);
    const seen: Array<string | undefined> = [];
    projection.state$.subscribe((s) => seen.push(resolvePath(s, '/d/g')));
    const subscription = projection.start(replay, live);
    await projection.whenReplayed();
    assert.equal(resolvePath(projection.current(), '/d/f'), inode(2));
    live.next(a.move(inode(2), inode(1), 'g'));
    assert.deepEqual(seen, [undefined, undefined, inode(2)]);
    subscription.unsubscribe();
    live.next(a.remove(inode(2)));
    assert.equal(resolvePath(projection.current(), '/d/g'), inode(2), 'no events after unsubscribe');
  });

  test('live events arriving while an observable replay runs are folded after it, none lost', async () => {
    const a = new Author(MACHINE_A);
    const mkdir = a.mkdir(inode(1), ROOT_INODE, 'd');
    const touch = a.touch(inode(2), inode(1), 'f');
    const replay = new Subject<TgfsEvent>();
    const live = new Subject<TgfsEvent>();
    const projection = new Projection(initialNamespaceState(), evolve);
    projection.start(replay, live);
    replay.next(mkdir);
    live.next(touch);
    live.next(mkdir);
    replay.complete();
    const state = await projection.whenReplayed();
    assert.equal(resolvePath(state, '/d/f'), inode(2));
  });

  test('a reducer failure reaches state$ subscribers and the replay promise', async () => {
    const projection = new Projection<number>(0, () => {
      throw new TypeError('boom');
    });
    let failure: unknown;
    projection.state$.subscribe({ error: (err) => (failure = err) });
    projection.start(of(new Author(MACHINE_A).mkdir(inode(1), ROOT_INODE, 'd')), new Subject());
    await assert.rejects(projection.whenReplayed(), /boom/);
    assert.ok(failure instanceof TypeError);
  });
});
