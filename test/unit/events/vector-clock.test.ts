import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { VectorClock } from '../../../src/events/types.js';
import {
  compare,
  concurrent,
  emptyClock,
  happenedBefore,
  increment,
  merge,
} from '../../../src/events/vector-clock.js';

// Few machines and small counts, so that equal, ordered and concurrent pairs all come up often. Entries are
// at least 1, as clocks built by increment and merge are.
const machines = ['m-a', 'm-b', 'm-c'];
const clock: fc.Arbitrary<VectorClock> = fc
  .array(fc.tuple(fc.constantFrom(...machines), fc.integer({ min: 1, max: 3 })), { maxLength: 3 })
  .map((entries) => Object.fromEntries(entries));

describe('vector clock', () => {
  test('merge is commutative', () => {
    fc.assert(fc.property(clock, clock, (a, b) => assert.deepStrictEqual(merge(a, b), merge(b, a))));
  });

  test('merge is associative', () => {
    fc.assert(
      fc.property(clock, clock, clock, (a, b, c) =>
        assert.deepStrictEqual(merge(merge(a, b), c), merge(a, merge(b, c))),
      ),
    );
  });

  test('merge is idempotent and an upper bound of both sides', () => {
    fc.assert(
      fc.property(clock, clock, (a, b) => {
        assert.deepStrictEqual(merge(a, a), a);
        const m = merge(a, b);
        assert.ok(['after', 'equal'].includes(compare(m, a)));
        assert.ok(['after', 'equal'].includes(compare(m, b)));
      }),
    );
  });

  test('happenedBefore is irreflexive', () => {
    fc.assert(fc.property(clock, (a) => !happenedBefore(a, a)));
  });

  test('happenedBefore is antisymmetric', () => {
    fc.assert(fc.property(clock, clock, (a, b) => !(happenedBefore(a, b) && happenedBefore(b, a))));
  });

  test('happenedBefore is transitive', () => {
    fc.assert(
      fc.property(clock, clock, clock, (a, b, c) => {
        fc.pre(happenedBefore(a, b) && happenedBefore(b, c));
        return happenedBefore(a, c);
      }),
      { numRuns: 2000 },
    );
  });

  test('concurrent is symmetric and excludes ordered and equal pairs', () => {
    fc.assert(
      fc.property(clock, clock, (a, b) => {
        assert.equal(concurrent(a, b), concurrent(b, a));
        const ordered = happenedBefore(a, b) || happenedBefore(b, a) || compare(a, b) === 'equal';
        assert.equal(concurrent(a, b), !ordered);
      }),
    );
  });

  test('compare is consistent in both directions', () => {
    const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;
    fc.assert(fc.property(clock, clock, (a, b) => assert.equal(compare(b, a), flip[compare(a, b)])));
  });

  test('increment makes a clock happen after its origin, and after everything merged into it', () => {
    fc.assert(
      fc.property(clock, clock, fc.constantFrom(...machines), (a, b, m) => {
        assert.ok(happenedBefore(a, increment(a, m)));
        const next = increment(merge(a, b), m);
        assert.ok(happenedBefore(a, next));
        assert.ok(happenedBefore(b, next));
      }),
    );
  });

  test('two machines incrementing from one clock are concurrent', () => {
    const base = increment(emptyClock, 'm-a');
    assert.ok(concurrent(increment(base, 'm-b'), increment(base, 'm-c')));
  });
});
