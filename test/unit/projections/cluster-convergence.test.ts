/**
 * The cluster reducer decides who counts from what came before (an admit counts if its author was an admin
 * then), so it must reach one state whatever order events arrive in. fast-check: random joins, admissions,
 * removals, promotions and forged events by random authors, delivered in random orders with redeliveries,
 * fold to the same members, namespaces, policies and refusals on every replica.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { namespaceIdOf } from '../../../src/crypto/ids.js';
import { CLUSTER_NS, type EventBodies, type EventType, type TgfsEvent } from '../../../src/events/types.js';
import { evolveCluster } from '../../../src/projections/cluster/evolve.js';
import { memberStatus } from '../../../src/projections/cluster/queries.js';
import { type ClusterState, initialClusterState } from '../../../src/projections/cluster/state.js';
import { policyFor } from '../../../src/projections/policy/namespace-policy.js';
import { event, MACHINE_A, MACHINE_B, MACHINE_C } from './event-builders.js';

const MACHINE_D = 'dddddddd-0000-4000-8000-000000000004';
const MACHINES = [MACHINE_A, MACHINE_B, MACHINE_C, MACHINE_D];
const keyOf = (m: string) => new Uint8Array(32).fill(m.charCodeAt(0));
const NONCES = [new Uint8Array(16).fill(1), new Uint8Array(16).fill(2)];

/** One action of a scenario: who does it and what. Indexes pick machines and namespaces. */
const actionArb = fc.oneof(
  fc.record({ t: fc.constant('admit' as const), by: fc.nat(3), who: fc.nat(3) }),
  fc.record({ t: fc.constant('remove' as const), by: fc.nat(3), who: fc.nat(3), upTo: fc.nat(3) }),
  fc.record({ t: fc.constant('namespace' as const), by: fc.nat(3), n: fc.nat(1), forged: fc.boolean() }),
  fc.record({ t: fc.constant('promote' as const), by: fc.nat(3), who: fc.nat(3), n: fc.nat(1) }),
  fc.record({ t: fc.constant('forgedJoin' as const), by: fc.nat(3), who: fc.nat(3) }),
  fc.record({ t: fc.constant('genesis' as const), by: fc.nat(3) }),
);

type Action = typeof actionArb extends fc.Arbitrary<infer A> ? A : never;

function scenario(actions: ReadonlyArray<Action>, times: readonly number[]): TgfsEvent[] {
  const seq = new Map<string, number>();
  const wall = new Map<string, number>();
  let tick = 0;
  const emit = <K extends EventType>(author: string, type: K, body: EventBodies[K]): TgfsEvent => {
    const s = (seq.get(author) ?? 0) + 1;
    seq.set(author, s);
    // Along a chain the HLC grows (the verifier makes sure); across authors any interleaving.
    const w = Math.max((wall.get(author) ?? 0) + 1, times[tick++ % times.length]!);
    wall.set(author, w);
    return { ...event(author, s, w, type, body), ns: CLUSTER_NS } as TgfsEvent;
  };
  const out: TgfsEvent[] = [];
  for (const m of MACHINES) {
    out.push(
      emit(m, 'MachineJoined', { machine: m, name: m.slice(0, 2), publicKey: keyOf(m), createdAtMs: 0 }),
    );
  }
  out.push(emit(MACHINE_A, 'ClusterCreated', { cluster: 'c', createdAtMs: 0 }));
  const nsId = (n: number) => namespaceIdOf(MACHINE_A, NONCES[n]!);
  for (const a of actions) {
    const by = MACHINES[a.by]!;
    switch (a.t) {
      case 'admit': {
        const who = MACHINES[a.who]!;
        out.push(emit(by, 'MachineAdmitted', { machine: who, publicKey: keyOf(who) }));
        break;
      }
      case 'remove':
        out.push(emit(by, 'MachineRemoved', { machine: MACHINES[a.who]!, cutoff: { [CLUSTER_NS]: a.upTo } }));
        break;
      case 'namespace':
        out.push(
          emit(by, 'NamespaceCreated', {
            namespace: a.forged ? nsId(a.n) : namespaceIdOf(by, NONCES[a.n]!),
            name: `ns${a.n}`,
            mode: 'master-replica',
            conflict: 'last-write-wins',
            master: by,
            createdAtMs: 0,
            nonce: NONCES[a.n]!,
          }),
        );
        break;
      case 'promote':
        out.push(
          emit(by, 'MasterChanged', {
            namespace: nsId(a.n),
            master: MACHINES[a.who]!,
            outgoingUpTo: 1,
            incomingAfter: 0,
          }),
        );
        break;
      case 'forgedJoin':
        out.push(
          emit(by, 'MachineJoined', {
            machine: MACHINES[a.who]!,
            name: 'x',
            publicKey: keyOf(by),
            createdAtMs: 0,
          }),
        );
        break;
      case 'genesis':
        out.push(emit(by, 'ClusterCreated', { cluster: 'other', createdAtMs: 0 }));
        break;
    }
  }
  return out;
}

/** Everything a replica decides, in a comparable form. */
function digest(state: ClusterState): string {
  const members = [...state.members.values()]
    .map((m) => [
      m.machine,
      memberStatus(state, m),
      m.admin,
      m.admission?.how ?? '-',
      JSON.stringify(m.removed?.cutoff ?? null),
    ])
    .sort();
  const namespaces = [...state.namespaces.values()]
    .map((n) => [n.id, n.master, JSON.stringify(n.terms), policyFor(state, n.id).key])
    .sort();
  const refused = [...state.refused.entries()].map(([k, r]) => [k, r.code]).sort();
  return JSON.stringify({ genesis: state.genesis?.creator ?? null, members, namespaces, refused });
}

function deliver(events: readonly TgfsEvent[], order: readonly number[]): TgfsEvent[] {
  const pending = [...events];
  const out: TgfsEvent[] = [];
  for (const pick of order) {
    if (pending.length === 0) break;
    const e = pending.splice(pick % pending.length, 1)[0]!;
    out.push(e);
    if (pick % 7 === 0) out.push(e); // a redelivery
  }
  return [...out, ...pending];
}

describe('cluster convergence', () => {
  test('admissions, removals, promotions and forgeries in any delivery order give one state and one set of refusals', () => {
    fc.assert(
      fc.property(
        fc.array(actionArb, { maxLength: 25 }),
        fc.array(fc.nat(200), { minLength: 1, maxLength: 40 }),
        fc.array(fc.array(fc.nat(1000), { maxLength: 60 }), { minLength: 3, maxLength: 3 }),
        (actions, times, orders) => {
          const events = scenario(actions, times);
          const trust = { pinnedCreator: MACHINE_A };
          const canonical = digest(events.reduce(evolveCluster, initialClusterState(trust)));
          for (const order of orders) {
            const state = deliver(events, order).reduce(evolveCluster, initialClusterState(trust));
            assert.equal(digest(state), canonical);
          }
          // Whatever happened, no forged identity ever changed a key, and the pinned creator's genesis holds.
          const state = events.reduce(evolveCluster, initialClusterState(trust));
          for (const m of state.members.values()) assert.deepEqual(m.publicKey, keyOf(m.machine));
          assert.equal(state.genesis?.creator, MACHINE_A);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a member is counted only by an admission its author had the right to give', () => {
    // B (not an admin) admits C: refused; A (the creator) admits C: counted.
    const events = scenario(
      [
        { t: 'admit', by: 1, who: 2 },
        { t: 'admit', by: 0, who: 3 },
      ],
      [10],
    );
    const state = events.reduce(evolveCluster, initialClusterState({ pinnedCreator: MACHINE_A }));
    assert.equal(memberStatus(state, state.members.get(MACHINE_C)!), 'pending');
    assert.equal(memberStatus(state, state.members.get(MACHINE_D)!), 'admitted');
    assert.equal(state.refused.get(`${MACHINE_B}#2`)?.code, 'NOT_ADMIN');
  });
});
