import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_CLOCK_AHEAD_MS } from '../../../src/events/hlc.js';
import { openSync } from '../../../src/home/sync-service.js';
import { logIds, mkdir, openNs, type TwoHomes, twoHomes } from './sync-fixtures.js';

let h: TwoHomes;
before(async () => {
  h = await twoHomes();
});
after(async () => {
  await h.close();
});

test('events stamped too far ahead of this machine’s clock are held back, then folded in once it catches up', async () => {
  const ra = await openNs(h.a, h.ns);
  await ra.commit([mkdir('from-the-future')]);
  const syncA = await openSync(h.a);
  await syncA.engine.sync();
  await syncA.close();

  // b's clock lags a's by twice the bound: a's events look like they come from the future.
  const lagging = await openSync(h.b, { now: () => Date.now() - 2 * MAX_CLOCK_AHEAD_MS });
  const report = await lagging.engine.pull();
  // a's own cluster events are from the future too, so its namespace events also wait for their author.
  const future = report.held.filter((m) => m.code === 'EVENT_FROM_FUTURE');
  assert.ok(future.length > 0, 'held as from the future');
  assert.match(future[0]!.reason, /ahead of this machine's clock/);
  assert.equal(report.events, 0);
  assert.deepEqual(await logIds(h.b, h.ns), [], 'nothing was folded in');
  await lagging.close();

  // The clock caught up: the held message goes through on the next pull.
  const onTime = await openSync(h.b);
  const later = await onTime.engine.pull();
  assert.deepEqual(later.held, []);
  assert.deepEqual(await logIds(h.b, h.ns), await logIds(h.a, h.ns));
  await onTime.close();
});
