import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CLUSTER_NS, type NamespaceMode, ROOT_INODE, type TgfsEvent } from '../../../src/events/types.js';
import { evolveCluster } from '../../../src/projections/cluster/evolve.js';
import { initialClusterState } from '../../../src/projections/cluster/state.js';
import { evolve, refuse } from '../../../src/projections/namespace/evolve.js';
import { childrenOf } from '../../../src/projections/namespace/queries.js';
import { initialNamespaceState, type NamespaceState } from '../../../src/projections/namespace/state.js';
import {
  counts,
  mayIssue,
  mayMount,
  mayWrite,
  type NamespacePolicy,
  policyFor,
} from '../../../src/projections/policy/namespace-policy.js';
import { reducerUnder } from '../../../src/projections/policy/policed-reducer.js';
import { refusalKey } from '../../../src/projections/policy/refusals.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { event, inode, joined, MACHINE_A, MACHINE_B, NS } from './event-builders.js';
import { Simulator, type Step } from './simulator.js';

function clusterWith(mode: NamespaceMode, master: string) {
  const created = {
    ...event(master, 2, 100, 'NamespaceCreated', {
      namespace: NS,
      name: 'shared',
      mode,
      conflict: 'last-write-wins',
      master,
      createdAtMs: 100,
    }),
    ns: CLUSTER_NS,
  } as TgfsEvent;
  return [joined(master), created].reduce(evolveCluster, initialClusterState());
}

const mkdirBy = (author: string, seq: number, n: number): TgfsEvent =>
  event(author, seq, 1_000 + seq, 'Create', {
    inode: inode(n),
    parent: ROOT_INODE,
    name: `d${n}`,
    kind: 'dir',
    mode: 0o755,
    uid: 0,
    gid: 0,
    mtimeMs: 1_000,
  });

const foldUnder = (policy: NamespacePolicy, events: readonly TgfsEvent[]): NamespaceState =>
  events.reduce(reducerUnder({ evolve, refuse }, policy), initialNamespaceState());

describe('namespace policy', () => {
  test('given a master-replica namespace, when its replica asks to write, then it is refused as READ_ONLY', () => {
    const policy = policyFor(clusterWith('master-replica', MACHINE_A), NS);
    assert.equal(mayWrite(policy, MACHINE_A), true);
    assert.equal(mayWrite(policy, MACHINE_B), false);
    assert.deepEqual(mayIssue(policy, MACHINE_A, { type: 'Create' }), { allowed: true });
    const refused = mayIssue(policy, MACHINE_B, { type: 'Create' });
    assert.equal(refused.allowed, false);
    assert.equal(!refused.allowed && refused.code, 'READ_ONLY');
  });

  test('given a master-replica namespace, the replica’s events do not count and the master’s do', () => {
    const policy = policyFor(clusterWith('master-replica', MACHINE_A), NS);
    assert.equal(counts(policy, mkdirBy(MACHINE_A, 1, 1)).allowed, true);
    assert.equal(counts(policy, mkdirBy(MACHINE_B, 1, 2)).allowed, false);
  });

  test('given a standalone namespace, only its owner’s events count and only its owner may mount it', () => {
    const policy = policyFor(clusterWith('standalone', MACHINE_A), NS);
    assert.equal(counts(policy, mkdirBy(MACHINE_A, 1, 1)).allowed, true);
    const refused = counts(policy, mkdirBy(MACHINE_B, 1, 2));
    assert.equal(!refused.allowed && refused.code, 'NOT_OWNER');
    assert.equal(mayWrite(policy, MACHINE_B), false);
    assert.equal(mayMount(policy, MACHINE_A).allowed, true);
    const mount = mayMount(policy, MACHINE_B);
    assert.equal(!mount.allowed && mount.code, 'NOT_OWNER');
    assert.match(!mount.allowed ? mount.reason : '', new RegExp(MACHINE_A));
  });

  test('given a distributed namespace of a cluster made before admission, every machine’s events count', () => {
    const policy = policyFor(clusterWith('distributed', MACHINE_A), NS);
    assert.equal(counts(policy, mkdirBy(MACHINE_B, 1, 2)).allowed, true);
    assert.equal(mayWrite(policy, MACHINE_B), true);
  });

  test('the cluster namespace and an unknown namespace count everything', () => {
    const cluster = clusterWith('master-replica', MACHINE_A);
    assert.equal(policyFor(cluster, CLUSTER_NS).writers, undefined);
    assert.equal(policyFor(cluster, 'ffffffffffffffffffffffffffffffff').writers, undefined);
  });

  test('the policy key changes exactly when an answer may: another master, another mode', () => {
    const a = policyFor(clusterWith('master-replica', MACHINE_A), NS);
    assert.equal(policyFor(clusterWith('master-replica', MACHINE_A), NS).key, a.key);
    assert.notEqual(policyFor(clusterWith('master-replica', MACHINE_B), NS).key, a.key);
    assert.notEqual(policyFor(clusterWith('distributed', MACHINE_A), NS).key, a.key);
  });

  test('a refused event is kept out of the tree, remembered with its reason, and a redelivery changes nothing', () => {
    const policy = policyFor(clusterWith('master-replica', MACHINE_A), NS);
    const forged = mkdirBy(MACHINE_B, 1, 2);
    const state = foldUnder(policy, [mkdirBy(MACHINE_A, 1, 1), forged, forged]);
    assert.deepEqual(
      childrenOf(state, ROOT_INODE).map(([name]) => name),
      ['d1'],
    );
    const refusal = state.refused.get(refusalKey(MACHINE_B, 1));
    assert.equal(refusal?.code, 'READ_ONLY');
    assert.equal(refusal?.type, 'Create');
    assert.match(refusal?.reason ?? '', /only the master \(.*\) writes/);
    assert.equal(state.refused.size, 1);
  });
});

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('op' as const),
      m: fc.nat(2),
      kind: fc.nat(5),
      a: fc.nat(30),
      b: fc.nat(30),
      c: fc.nat(30),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('deliver' as const),
      to: fc.nat(2),
      pick: fc.nat(50),
      dup: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.nat(30) }) },
);

describe('convergence under a policy that refuses events', () => {
  test('replicas fed the same events in any order, some refused, converge and none shows a refused event', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 80 }),
        fc.array(fc.array(fc.nat(1000), { maxLength: 200 }), { minLength: 3, maxLength: 3 }),
        (steps, orders) => {
          const sim = new Simulator(3);
          for (const s of steps) sim.run(s);
          const master = sim.machines[0]!.id;
          // The other machines' events are what a replica (or a forger) of a master-replica namespace emits.
          const policy = policyFor(clusterWith('master-replica', master), NS);
          const all = sim.allEvents();
          const refusedKeys = all.filter((e) => e.author !== master).map((e) => refusalKey(e.author, e.seq));
          const onlyMaster = all.filter((e) => e.author === master).reduce(evolve, initialNamespaceState());
          const expected = namespaceStateHash(onlyMaster);
          for (const order of orders) {
            const pending = [...all];
            const delivered: TgfsEvent[] = [];
            for (const pick of order) {
              if (pending.length === 0) break;
              delivered.push(pending.splice(pick % pending.length, 1)[0]!);
            }
            delivered.push(...pending);
            const state = foldUnder(policy, delivered);
            assert.equal(namespaceStateHash(state), expected, 'the tree is the master’s alone');
            assert.deepEqual([...state.refused.keys()].sort(), [...refusedKeys].sort());
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
