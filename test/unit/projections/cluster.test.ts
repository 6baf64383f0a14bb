import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLUSTER_NS, type TgfsEvent } from '../../../src/events/types.js';
import { selfAdmissionProof } from '../../../src/projections/cluster/admission.js';
import { evolveCluster } from '../../../src/projections/cluster/evolve.js';
import {
  memberOf,
  namespaceById,
  namespaceByName,
  namespacesByName,
} from '../../../src/projections/cluster/queries.js';
import { type ClusterTrust, initialClusterState } from '../../../src/projections/cluster/state.js';
import { event, joined, MACHINE_A, MACHINE_B } from './event-builders.js';

function namespaceCreated(author: string, seq: number, wallMs: number, id: string, name: string): TgfsEvent {
  const e = event(author, seq, wallMs, 'NamespaceCreated', {
    namespace: id,
    name,
    mode: 'distributed',
    conflict: 'last-write-wins',
    master: author,
    createdAtMs: wallMs,
  });
  return { ...e, ns: CLUSTER_NS };
}

const NS1 = '11111111111111111111111111111111';
const NS2 = '22222222222222222222222222222222';

describe('cluster projection', () => {
  test('two namespaces created under one name: the canonical-earlier keeps it, in any delivery order', () => {
    const first = namespaceCreated(MACHINE_B, 1, 100, NS1, 'photos');
    const second = namespaceCreated(MACHINE_A, 1, 101, NS2, 'photos');
    for (const order of [
      [first, second],
      [second, first],
      [second, first, second, first],
    ]) {
      const state = [joined(MACHINE_A), joined(MACHINE_B), ...order].reduce(
        evolveCluster,
        initialClusterState(),
      );
      assert.equal(namespaceByName(state, 'photos')?.id, NS1);
      assert.equal(state.byName.get('photos'), NS1);
      assert.equal(namespaceById(state, NS2)?.name, 'photos', 'the loser stays reachable by id');
      assert.deepEqual(
        namespacesByName(state).map((n) => n.id),
        [NS1],
      );
      assert.equal(state.namespaces.size, 2);
    }
  });

  test('a namespace keeps the settings of the event that created it', () => {
    const state = [joined(MACHINE_A), namespaceCreated(MACHINE_A, 2, 100, NS1, 'work')].reduce(
      evolveCluster,
      initialClusterState(),
    );
    assert.deepEqual(
      { ...namespaceByName(state, 'work'), pos: undefined },
      {
        id: NS1,
        name: 'work',
        mode: 'distributed',
        conflict: 'last-write-wins',
        creator: MACHINE_A,
        master: MACHINE_A,
        terms: [{ machine: MACHINE_A, afterSeq: 0 }],
        createdAtMs: 100,
        pos: undefined,
      },
    );
  });

  test('a joined machine becomes a member with its public key; a second binding and namespace events are ignored', () => {
    const key = new Uint8Array(32).fill(9);
    const first = joined(MACHINE_B, 100, { name: 'laptop', publicKey: key });
    const rebinding = {
      ...joined(MACHINE_B, 200, { name: 'renamed', publicKey: new Uint8Array(32) }),
      seq: 2,
    };
    const write = event(MACHINE_B, 3, 300, 'Write', { inode: NS1, sizeBytes: 0, mtimeMs: 0 });
    for (const order of [
      [first, rebinding, write],
      [rebinding, write, first],
    ]) {
      const state = order.reduce(evolveCluster, initialClusterState());
      assert.equal(memberOf(state, MACHINE_B)?.name, 'laptop');
      assert.deepEqual(memberOf(state, MACHINE_B)?.publicKey, key);
      assert.equal(memberOf(state, MACHINE_B)?.joinedAtMs, 100);
      assert.equal(state.members.size, 1);
      assert.equal(state.refused.get(`${MACHINE_B}#2`)?.code, 'MACHINE_KEY_CONFLICT');
    }
  });

  test('a machine that names another machine in its join is refused, and the named machine is untouched', () => {
    const forged = {
      ...event(MACHINE_A, 2, 5, 'MachineJoined', {
        machine: MACHINE_B,
        name: 'evil',
        publicKey: new Uint8Array(32).fill(1),
        createdAtMs: 5,
      }),
      ns: CLUSTER_NS,
    } as TgfsEvent;
    const state = [joined(MACHINE_A, 1), forged, joined(MACHINE_B, 50)].reduce(
      evolveCluster,
      initialClusterState(),
    );
    assert.equal(state.refused.get(`${MACHINE_A}#2`)?.code, 'FORGED_IDENTITY');
    assert.deepEqual(memberOf(state, MACHINE_B)?.publicKey, new Uint8Array(32).fill(MACHINE_B.charCodeAt(0)));
  });
});

describe('self-admission across key epochs', () => {
  const oldKey = new Uint8Array(32).fill(1);
  const newKey = new Uint8Array(32).fill(2);
  const keyB = new Uint8Array(32).fill(MACHINE_B.charCodeAt(0));
  const genesis = {
    ...event(MACHINE_A, 2, 20, 'ClusterCreated', { cluster: 'c', createdAtMs: 20 }),
    ns: CLUSTER_NS,
  };
  /** B, rebuilt before a rotation, proved the password of that time. */
  const rebuiltB = joined(MACHINE_B, 30, { selfAdmission: selfAdmissionProof(oldKey, MACHINE_B, keyB) });
  const fold = (trust: ClusterTrust) =>
    [joined(MACHINE_A), genesis, rebuiltB].reduce(evolveCluster, initialClusterState(trust));

  test('before a rotation the proof counts', () => {
    assert.equal(memberOf(fold({ selfAdmissionKey: oldKey }), MACHINE_B)?.admission?.how, 'password');
  });

  test('after it, an old proof counts only for a machine the rotating admin listed', () => {
    assert.equal(memberOf(fold({ selfAdmissionKey: newKey }), MACHINE_B)?.admission, undefined);
    const listed = fold({
      selfAdmissionKey: newKey,
      earlierSelfAdmissions: { machines: new Set([MACHINE_B]), keys: [oldKey] },
    });
    assert.equal(memberOf(listed, MACHINE_B)?.admission?.how, 'password');
    const unlisted = fold({
      selfAdmissionKey: newKey,
      earlierSelfAdmissions: { machines: new Set([MACHINE_A]), keys: [oldKey] },
    });
    assert.equal(memberOf(unlisted, MACHINE_B)?.admission, undefined, 'an old password admits nobody new');
  });
});
