/**
 * Fixed schedules that once told a broken reducer from a working one (found by the convergence property while
 * mutation-testing the undo/redo and the conflict ordering); kept so a regression fails with a readable case.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { foldCanonical, Simulator, type Step } from './simulator.js';
import { assertTreeInvariants } from './tree-invariants.js';

function converges(machines: number, steps: Step[], flushOrder: number[]): void {
  const sim = new Simulator(machines);
  for (const s of steps) sim.run(s);
  sim.flush(flushOrder);
  const expected = namespaceStateHash(foldCanonical(sim.allEvents()));
  for (const machine of sim.machines) {
    assertTreeInvariants(machine.state);
    assert.equal(namespaceStateHash(machine.state), expected, `replica ${machine.index}`);
  }
}

const op = (m: number, kind: number, a: number, b: number, c: number): Step => ({
  t: 'op',
  m,
  kind,
  a,
  b,
  c,
});

describe('convergence regressions', () => {
  test('a move delivered before the creates it follows is undone and redone (late-op suffix)', () => {
    converges(
      2,
      [
        op(0, 0, 0, 0, 0),
        op(0, 0, 0, 0, 4),
        op(0, 0, 0, 0, 0),
        op(0, 0, 0, 0, 1),
        op(0, 0, 10, 0, 1),
        op(0, 1, 6, 0, 11),
      ],
      [0, 314],
    );
  });

  test('three same-name creates and a move, delivered out of order, show the same conflict names', () => {
    converges(2, [op(0, 0, 0, 0, 0), op(0, 0, 0, 0, 0), op(0, 0, 0, 0, 0), op(0, 1, 0, 0, 0)], [943]);
  });
});
