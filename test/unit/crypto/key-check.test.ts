import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { keyCheckValue, matchesKeyCheck } from '../../../src/crypto/key-check.js';

const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('key check value', () => {
  test('the right master key matches its key check', () => {
    fc.assert(fc.property(keyArb, (key) => matchesKeyCheck(key, keyCheckValue(key))));
  });

  test('a wrong master key does not match', () => {
    fc.assert(
      fc.property(keyArb, keyArb, (right, wrong) => {
        fc.pre(Buffer.compare(right, wrong) !== 0);
        assert.equal(matchesKeyCheck(wrong, keyCheckValue(right)), false);
      }),
    );
  });

  test('a damaged or truncated key check does not match', () => {
    const key = new Uint8Array(32).fill(1);
    const kcv = keyCheckValue(key);
    const damaged = new Uint8Array(kcv);
    damaged[5]! ^= 0x10;
    assert.equal(matchesKeyCheck(key, damaged), false);
    assert.equal(matchesKeyCheck(key, kcv.subarray(0, 31)), false);
  });

  test('the key check is 32 bytes and is not the key itself', () => {
    const key = new Uint8Array(32).fill(3);
    const kcv = keyCheckValue(key);
    assert.equal(kcv.length, 32);
    assert.notDeepStrictEqual(kcv, key);
  });
});
