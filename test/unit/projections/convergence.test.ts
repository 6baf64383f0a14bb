import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compareCanonical } from '../../../src/events/canonical-order.js';
import { evolve } from '../../../src/projections/namespace/evolve.js';
import { initialNamespaceState } from '../../../src/projections/namespace/state.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { foldCanonical, Simulator, type Step } from './simulator.js';
import { assertTreeInvariants } from './tree-invariants.js';

/** Steps of machines making changes (op kinds up to `kinds`: 6 adds hard links) and a network delivering them. */
const stepOf = (kinds: number): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        t: fc.constant('op' as const),
        m: fc.nat(3),
        kind: fc.nat(kinds),
        a: fc.nat(50),
        b: fc.nat(50),
        c: fc.nat(50),
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        t: fc.constant('deliver' as const),
        to: fc.nat(3),
        pick: fc.nat(50),
        dup: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('cut' as const), a: fc.nat(3), b: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('heal' as const) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.nat(30) }) },
  );

const scenarioOf = (kinds: number) =>
  fc.record({
    machines: fc.integer({ min: 2, max: 4 }),
    steps: fc.array(stepOf(kinds), { maxLength: 150, size: 'max' }),
    flushOrder: fc.array(fc.nat(1000), { maxLength: 300, size: 'max' }),
  });

function runScenario({
  machines,
  steps,
  flushOrder,
}: {
  machines: number;
  steps: Step[];
  flushOrder: number[];
}): void {
  const sim = new Simulator(machines);
  for (const s of steps) sim.run(s);
  sim.flush(flushOrder);

  const all = sim.allEvents();
  for (const machine of sim.machines)
    assert.equal(machine.received.size, all.length, 'every replica has every event');

  const rebuilt = foldCanonical(all);
  const expected = namespaceStateHash(rebuilt);
  assertTreeInvariants(rebuilt);
  for (const machine of sim.machines) {
    assertTreeInvariants(machine.state);
    assert.equal(namespaceStateHash(machine.state), expected, `replica ${machine.index} diverged`);
  }
  // The worst delivery order for undo/redo: every event arrives before all those sorting earlier.
  const backwards = [...all].sort((x, y) => compareCanonical(y, x)).reduce(evolve, initialNamespaceState());
  assert.equal(namespaceStateHash(backwards), expected, 'reverse canonical delivery diverged');
}

describe('namespace projection convergence', () => {
  test('replicas that received the same events, in any order with duplicates and partitions, have equal state hashes', () => {
    fc.assert(fc.property(scenarioOf(5), runScenario), { numRuns: 300 });
  });

  test('with hard links too (names linked, moved, unlinked and restored concurrently), every replica converges', () => {
    fc.assert(fc.property(scenarioOf(6), runScenario), { numRuns: 300 });
  });
});
