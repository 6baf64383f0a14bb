import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  compareHlc,
  isTooFarAhead,
  MAX_CLOCK_AHEAD_MS,
  receive,
  tick,
  ZERO_HLC,
} from '../../../src/events/hlc.js';
import { hlcArb } from './arbitraries.js';

const nowArb = fc.nat({ max: 2 ** 45 });

describe('hybrid logical clock', () => {
  test('tick strictly increases for any sequence of wall times, including a clock going backwards', () => {
    fc.assert(
      fc.property(fc.array(nowArb, { minLength: 1, maxLength: 50 }), (nows) => {
        let last = ZERO_HLC;
        for (const now of nows) {
          const next = tick(last, now);
          assert.equal(compareHlc(next, last), 1, `${JSON.stringify(next)} after ${JSON.stringify(last)}`);
          assert.ok(next.wallMs >= now, 'the stamp never lags the wall clock');
          last = next;
        }
      }),
    );
  });

  test('tick follows the wall clock and restarts the counter when it advances', () => {
    assert.deepStrictEqual(tick({ wallMs: 100, counter: 5 }, 200), { wallMs: 200, counter: 0 });
    assert.deepStrictEqual(tick({ wallMs: 100, counter: 5 }, 100), { wallMs: 100, counter: 6 });
    assert.deepStrictEqual(tick({ wallMs: 100, counter: 5 }, 40), { wallMs: 100, counter: 6 });
  });

  test('receive is strictly greater than both the local and the remote stamp', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, nowArb, (last, remote, now) => {
        const next = receive(last, remote, now);
        assert.equal(compareHlc(next, last), 1);
        assert.equal(compareHlc(next, remote), 1);
        assert.ok(next.wallMs >= now);
      }),
    );
  });

  test('receive with equal walls continues past the larger counter', () => {
    assert.deepStrictEqual(receive({ wallMs: 9, counter: 2 }, { wallMs: 9, counter: 7 }, 3), {
      wallMs: 9,
      counter: 8,
    });
    assert.deepStrictEqual(receive({ wallMs: 5, counter: 2 }, { wallMs: 9, counter: 7 }, 3), {
      wallMs: 9,
      counter: 8,
    });
    assert.deepStrictEqual(receive({ wallMs: 5, counter: 2 }, { wallMs: 9, counter: 7 }, 10), {
      wallMs: 10,
      counter: 0,
    });
  });

  test('compareHlc is a total order consistent in both directions', () => {
    fc.assert(fc.property(hlcArb, hlcArb, (a, b) => compareHlc(a, b) === -compareHlc(b, a)));
  });

  test('a remote clock more than the bound ahead of local time is too far ahead; within the bound it is not', () => {
    const now = 1_000_000;
    assert.equal(MAX_CLOCK_AHEAD_MS, 60_000);
    assert.equal(isTooFarAhead({ wallMs: now + 60_000, counter: 9 }, now), false);
    assert.equal(isTooFarAhead({ wallMs: now + 60_001, counter: 0 }, now), true);
    assert.equal(isTooFarAhead({ wallMs: now - 1e9, counter: 0 }, now), false);
    assert.equal(isTooFarAhead({ wallMs: now + 10, counter: 0 }, now, 5), true);
  });
});
