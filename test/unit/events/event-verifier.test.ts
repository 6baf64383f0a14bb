import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isTgfsError, type TgfsErrorCode } from '../../../src/errors.js';
import { eventIdBytes } from '../../../src/events/event-id.js';
import { MemoryVerifyContext, verifyEvent } from '../../../src/events/event-verifier.js';
import { openRecord, recordOf, signEvent } from '../../../src/events/signing.js';
import type { DeleteBody, SignedEvent, TgfsEvent } from '../../../src/events/types.js';
import { CLUSTER_NS } from '../../../src/events/types.js';
import { emit, emitJoin, makeMachine, type TestMachine } from './event-factory.js';

const NS = '33'.repeat(16);
const del = (n: number): DeleteBody => ({ inode: n.toString(16).padStart(32, '0') });

/** A context where `members` have joined. */
function clusterOf(...members: TestMachine[]): MemoryVerifyContext {
  const ctx = new MemoryVerifyContext();
  for (const m of members) assert.equal(ctx.ingest(emitJoin(m)), 'new');
  return ctx;
}

/** Signs an arbitrary envelope: for forks, gaps and forgeries that emit() would never produce. */
function forge(
  signer: TestMachine,
  fields: Partial<TgfsEvent> & Pick<TgfsEvent, 'seq' | 'prev'>,
): SignedEvent {
  const event = {
    v: 1,
    ns: NS,
    author: signer.id,
    clock: {},
    hlc: { wallMs: 1, counter: 0 },
    type: 'Delete',
    body: del(99),
    ...fields,
  } as TgfsEvent;
  return signEvent(event, signer.privateKey);
}

function rejectsWith(se: SignedEvent, ctx: MemoryVerifyContext, code: TgfsErrorCode): void {
  assert.throws(
    () => verifyEvent(se, ctx),
    (err) =>
      isTgfsError(err, code) &&
      err.message.includes(se.id) &&
      err.message.includes(se.event.author) &&
      err.message.includes(`seq ${se.event.seq}`),
    `expected ${code} naming the event id, author and seq`,
  );
}

describe('event verification', () => {
  test('a chain of events from a member is accepted in order', () => {
    const a = makeMachine('a');
    const ctx = clusterOf(a);
    for (let i = 1; i <= 5; i++) assert.equal(ctx.ingest(emit(a, NS, 'Delete', del(i))), 'new');
    assert.equal(ctx.headOf(NS, a.id)?.seq, 5);
  });

  test('a machine introduces itself: its own MachineJoined verifies with the key it carries', () => {
    const a = makeMachine('a');
    const ctx = new MemoryVerifyContext();
    assert.equal(ctx.publicKeyOf(a.id), undefined);
    assert.equal(ctx.ingest(emitJoin(a)), 'new');
    assert.deepStrictEqual(ctx.publicKeyOf(a.id), a.publicKey);
  });

  test('an event from a machine that never joined is EVENT_UNKNOWN_AUTHOR', () => {
    const stranger = makeMachine('stranger');
    rejectsWith(emit(stranger, NS, 'Delete', del(1)), clusterOf(makeMachine('a')), 'EVENT_UNKNOWN_AUTHOR');
  });

  test('a stranger cannot introduce somebody else', () => {
    const stranger = makeMachine('stranger');
    const victim = makeMachine('victim');
    const se = emit(stranger, CLUSTER_NS, 'MachineJoined', {
      machine: victim.id,
      name: 'victim',
      publicKey: stranger.publicKey,
      createdAtMs: 0,
    });
    rejectsWith(se, new MemoryVerifyContext(), 'EVENT_UNKNOWN_AUTHOR');
  });

  test('a self-introduction signed with a key other than the one it carries is EVENT_SIGNATURE_INVALID', () => {
    const a = makeMachine('a');
    const impostor = makeMachine('impostor', a.id);
    const se = emit(impostor, CLUSTER_NS, 'MachineJoined', {
      machine: a.id,
      name: 'a',
      publicKey: a.publicKey,
      createdAtMs: 0,
    });
    rejectsWith(se, new MemoryVerifyContext(), 'EVENT_SIGNATURE_INVALID');
  });

  test('a member signing as another member is EVENT_SIGNATURE_INVALID', () => {
    const a = makeMachine('a');
    const b = makeMachine('b');
    const ctx = clusterOf(a, b);
    const impersonation = emit(makeMachine('b as a', a.id), NS, 'Delete', del(1));
    signEvent(impersonation.event, b.privateKey);
    rejectsWith(signEvent(impersonation.event, b.privateKey), ctx, 'EVENT_SIGNATURE_INVALID');
  });

  test('receiving an accepted event again is a duplicate, also from its stored record', () => {
    const a = makeMachine('a');
    const ctx = clusterOf(a);
    const se = emit(a, NS, 'Delete', del(1));
    assert.equal(ctx.ingest(se), 'new');
    assert.equal(ctx.ingest(se), 'duplicate');
    assert.equal(verifyEvent(openRecord(recordOf(se)), ctx), 'duplicate');
    assert.equal(ctx.headOf(NS, a.id)?.seq, 1);
  });

  test('an event whose predecessors are missing is HASH_CHAIN_GAP, and accepted once they arrive', () => {
    const a = makeMachine('a');
    const ctx = clusterOf(a);
    const [e1, e2, e3] = [1, 2, 3].map((i) => emit(a, NS, 'Delete', del(i))) as [
      SignedEvent,
      SignedEvent,
      SignedEvent,
    ];
    rejectsWith(e2, ctx, 'HASH_CHAIN_GAP');
    assert.equal(ctx.ingest(e1), 'new');
    rejectsWith(e3, ctx, 'HASH_CHAIN_GAP');
    assert.equal(ctx.ingest(e2), 'new');
    assert.equal(ctx.ingest(e3), 'new');
  });

  test('two different events at one author and seq are HASH_CHAIN_FORK', () => {
    const a = makeMachine('a');
    const ctx = clusterOf(a);
    const e1 = emit(a, NS, 'Delete', del(1));
    const e2 = emit(a, NS, 'Delete', del(2));
    const rival = forge(a, { seq: 2, prev: eventIdBytes(e1.payload), body: del(666) });
    for (const se of [e1, e2]) ctx.ingest(se);
    rejectsWith(rival, ctx, 'HASH_CHAIN_FORK');
    const rivalFirst = forge(a, { seq: 1, prev: null, body: del(667) });
    rejectsWith(rivalFirst, ctx, 'HASH_CHAIN_FORK');
  });

  test('a next event that does not link to the head is HASH_CHAIN_FORK', () => {
    const a = makeMachine('a');
    const ctx = clusterOf(a);
    ctx.ingest(emit(a, NS, 'Delete', del(1)));
    rejectsWith(forge(a, { seq: 2, prev: new Uint8Array(32) }), ctx, 'HASH_CHAIN_FORK');
    rejectsWith(forge(a, { seq: 2, prev: null }), ctx, 'HASH_CHAIN_FORK');
  });

  test('a first event with a prev is HASH_CHAIN_FORK', () => {
    const a = makeMachine('a');
    rejectsWith(forge(a, { seq: 1, prev: new Uint8Array(32) }), clusterOf(a), 'HASH_CHAIN_FORK');
  });

  test('each namespace has its own chain per author', () => {
    const a = makeMachine('a');
    const ctx = clusterOf(a);
    const other = '44'.repeat(16);
    assert.equal(ctx.ingest(emit(a, NS, 'Delete', del(1))), 'new');
    assert.equal(ctx.ingest(emit(a, other, 'Delete', del(1))), 'new');
    assert.equal(ctx.headOf(NS, a.id)?.seq, 1);
    assert.equal(ctx.headOf(other, a.id)?.seq, 1);
  });

  test('a signed event whose id does not match its payload is EVENT_MALFORMED', () => {
    const a = makeMachine('a');
    const se = emit(a, NS, 'Delete', del(1));
    const lying = { ...se, id: 'ab'.repeat(32) };
    assert.throws(
      () => verifyEvent(lying, clusterOf(a)),
      (err) => isTgfsError(err, 'EVENT_MALFORMED'),
    );
  });
});
