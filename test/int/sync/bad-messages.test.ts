import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeRecord, encodeRecord } from '../../../src/events/codec.js';
import { openRecordBox, sealRecord } from '../../../src/events/event-seal.js';
import type { PendingEntry } from '../../../src/events/op-log.js';
import { openSync, type SyncSession } from '../../../src/home/sync-service.js';
import type { NamespaceState } from '../../../src/projections/namespace/state.js';
import type { Replica } from '../../../src/projections/replica.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { formatCaption } from '../../../src/transport/store/captions.js';
import { LocalMessageStore } from '../../../src/transport/store/local-store.js';
import type { MessageId } from '../../../src/transport/store/message-store.js';
import { encodeOpMessage } from '../../../src/transport/sync/op-message.js';
import { logIds, mkdir, openNs, replayedHash, type TwoHomes, twoHomes } from './sync-fixtures.js';

describe('bad op messages are rejected, counted in sync status, and change nothing', () => {
  let h: TwoHomes;
  let store: LocalMessageStore;
  let ra: Replica<NamespaceState>;
  let rb: Replica<NamespaceState>;
  let syncB: SyncSession;
  let appliedOnB = 0;

  before(async () => {
    h = await twoHomes();
    store = await LocalMessageStore.open(h.storeDir);
    ra = await openNs(h.a, h.ns);
    await ra.commit([mkdir('base')]);
    const syncA = await openSync(h.a);
    await syncA.engine.sync();
    await syncA.close();
    rb = await openNs(h.b, h.ns);
    const sink = {
      async ingest(entries: Parameters<typeof rb.ingest>[0]) {
        const fresh = await rb.ingest(entries);
        appliedOnB += fresh.length;
        return fresh;
      },
    };
    syncB = await openSync(h.b, { replicas: new Map([[h.ns, sink]]) });
    await syncB.engine.sync();
    assert.equal((await logIds(h.b, h.ns)).length, 1);
  });
  after(async () => {
    await syncB.close();
    await store.close();
    await h.close();
  });

  /** n new events of machine a, each its own commit, kept out of a's own pushes: the test posts them. */
  async function freshEvents(n: number): Promise<PendingEntry[]> {
    for (let i = 0; i < n; i++) await ra.commit([mkdir(`d-${randomBytes(4).toString('hex')}`)]);
    const pending = await h.a.log.pendingEntries(h.ns);
    await h.a.log.clearPending(pending);
    assert.equal(pending.length, n);
    return pending;
  }

  function post(events: ReadonlyArray<readonly [string, Uint8Array]>): Promise<MessageId> {
    return postBytes(encodeOpMessage({ ns: h.ns, events }));
  }

  function postBytes(bytes: Uint8Array): Promise<MessageId> {
    return store.append(
      formatCaption({ namespace: h.ns, type: 'op', id: randomBytes(8).toString('hex') }),
      bytes,
    );
  }

  const pair = (e: PendingEntry) => [e.id, e.sealed] as const;
  const eventKey = () => h.a.keysFor(h.ns).eventKey;

  async function bState() {
    return { ids: await logIds(h.b, h.ns), hash: await replayedHash(h.b, h.ns), applied: appliedOnB };
  }

  async function assertRejected(
    messageId: MessageId,
    code: string,
    before: Awaited<ReturnType<typeof bState>>,
  ) {
    const report = await syncB.engine.pull();
    assert.deepEqual(
      report.rejected.map((r) => [r.messageId, r.code]),
      [[messageId, code]],
    );
    assert.deepEqual(await bState(), before, 'the log, the projection and the live replica are unchanged');
    const bad = (await syncB.state.badMessages()).find((b) => b.messageId === messageId);
    assert.equal(bad?.code, code);
    assert.equal(bad?.held, false);
    assert.match(bad?.reason ?? '', new RegExp(code));
  }

  /** After a forgery, the genuine message still goes through. */
  async function deliverGenuine(events: PendingEntry[]) {
    await post(events.map(pair));
    const report = await syncB.engine.pull();
    assert.equal(report.events, events.length);
    assert.equal(namespaceStateHash(rb.state), namespaceStateHash(ra.state));
  }

  test('an event whose signature was tampered with (re-sealed with the right key) is rejected', async () => {
    const events = await freshEvents(1);
    const e = events[0]!;
    const { payload, signature } = decodeRecord(openRecordBox(eventKey(), h.ns, e.id, e.sealed));
    const forged = Uint8Array.from(signature);
    forged[5]! ^= 0x40;
    const sealed = sealRecord(eventKey(), h.ns, e.id, encodeRecord(payload, forged));
    const before = await bState();
    const id = await post([[e.id, sealed]]);
    await assertRejected(id, 'EVENT_SIGNATURE_INVALID', before);
    await deliverGenuine(events);
  });

  test('a message that does not decrypt is rejected', async () => {
    const events = await freshEvents(1);
    const before = await bState();
    const id = await post([[events[0]!.id, randomBytes(events[0]!.sealed.length)]]);
    await assertRejected(id, 'DECRYPT_FAILED', before);
    await deliverGenuine(events);
  });

  test('a record sealed for another namespace (wrong associated data) is rejected', async () => {
    const events = await freshEvents(1);
    const e = events[0]!;
    const record = openRecordBox(eventKey(), h.ns, e.id, e.sealed);
    const otherNs = randomBytes(16).toString('hex');
    const before = await bState();
    const id = await post([[e.id, sealRecord(eventKey(), otherNs, e.id, record)]]);
    await assertRejected(id, 'DECRYPT_FAILED', before);
    await deliverGenuine(events);
  });

  test('one forged event rejects the whole message: its genuine events are not applied either', async () => {
    const events = await freshEvents(2);
    const before = await bState();
    const id = await post([pair(events[0]!), [events[1]!.id, randomBytes(80)]]);
    await assertRejected(id, 'DECRYPT_FAILED', before);
    await deliverGenuine(events);
  });

  test('a truncated message is rejected', async () => {
    const events = await freshEvents(3);
    const whole = encodeOpMessage({ ns: h.ns, events: events.map(pair) });
    const before = await bState();
    const id = await postBytes(whole.subarray(0, Math.floor(whole.length / 2)));
    await assertRejected(id, 'STORE_CORRUPT', before);
    await deliverGenuine(events);
  });

  test('a replayed message (re-posted) is ignored as a duplicate, not an error', async () => {
    const events = await freshEvents(2);
    await deliverGenuine(events);
    const before = await bState();
    const duplicatesBefore = syncB.state.status.duplicateMessages ?? 0;
    const badBefore = (await syncB.state.badMessages()).length;
    await post(events.map(pair));
    const report = await syncB.engine.pull();
    assert.deepEqual([report.events, report.duplicates, report.rejected.length], [0, 1, 0]);
    assert.deepEqual(await bState(), before);
    assert.equal(syncB.state.status.duplicateMessages, duplicatesBefore + 1, 'counted in the status');
    assert.equal((await syncB.state.badMessages()).length, badBefore);
  });

  test('events reordered across messages are held back until the gap closes, then applied in order', async () => {
    const events = await freshEvents(3);
    await post([pair(events[1]!), pair(events[2]!)]);
    await post([pair(events[0]!)]);
    const report = await syncB.engine.pull();
    assert.equal(report.events, 3);
    assert.deepEqual(report.held, []);
    assert.equal(namespaceStateHash(rb.state), namespaceStateHash(ra.state));
    assert.deepEqual(await logIds(h.b, h.ns), await logIds(h.a, h.ns));
  });

  test('a gap that persists after the whole pull is reported as held, changes nothing, and heals later', async () => {
    const events = await freshEvents(3);
    const before = await bState();
    const late = await post([pair(events[2]!)]);
    const report = await syncB.engine.pull();
    assert.deepEqual(
      report.held.map((b) => [b.messageId, b.code]),
      [[late, 'HASH_CHAIN_GAP']],
    );
    assert.deepEqual(await bState(), before);
    const held = (await syncB.state.badMessages()).find((b) => b.messageId === late);
    assert.equal(held?.held, true);

    // The missing events arrive in a later pull: the held message is retried and goes through.
    await post([pair(events[0]!), pair(events[1]!)]);
    const healed = await syncB.engine.pull();
    assert.equal(healed.events, 3);
    assert.deepEqual(healed.held, []);
    assert.equal(
      (await syncB.state.badMessages()).find((b) => b.messageId === late),
      undefined,
    );
    assert.equal(namespaceStateHash(rb.state), namespaceStateHash(ra.state));
  });
});
