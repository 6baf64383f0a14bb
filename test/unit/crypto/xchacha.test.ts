import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { open, seal, xchachaOpen, xchachaSeal } from '../../../src/crypto/xchacha.js';
import { isTgfsError } from '../../../src/errors.js';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const nonce = fc.uint8Array({ minLength: 24, maxLength: 24 });
const aad = fc.uint8Array({ maxLength: 64 });
const plaintext = fc.uint8Array({ maxLength: 5000 });

const decryptFailed = (err: unknown): boolean => isTgfsError(err, 'DECRYPT_FAILED');

describe('xchacha', () => {
  test('xchachaSeal is byte-identical to noble xchacha20poly1305 and xchachaOpen inverts it', () => {
    fc.assert(
      fc.property(key, nonce, aad, plaintext, (k, n, a, pt) => {
        const sealed = xchachaSeal(k, n, pt, a);
        assert.deepStrictEqual(new Uint8Array(sealed), xchacha20poly1305(k, n, a).encrypt(pt));
        assert.deepStrictEqual(new Uint8Array(xchachaOpen(k, n, sealed, a)), pt);
      }),
      { numRuns: 200 },
    );
  });

  test('any flipped bit in the sealed bytes is DECRYPT_FAILED', () => {
    fc.assert(
      fc.property(
        key,
        nonce,
        aad,
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.nat(7),
        (k, n, a, pt, pos, bit) => {
          const sealed = xchachaSeal(k, n, pt, a);
          sealed[pos % sealed.length]! ^= 1 << bit;
          assert.throws(() => xchachaOpen(k, n, sealed, a), decryptFailed);
        },
      ),
    );
  });

  test('any flipped bit in the associated data is DECRYPT_FAILED', () => {
    fc.assert(
      fc.property(
        key,
        nonce,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.nat(7),
        (k, n, a, pt, pos, bit) => {
          const sealed = xchachaSeal(k, n, pt, a);
          const other = new Uint8Array(a);
          other[pos % other.length]! ^= 1 << bit;
          assert.throws(() => xchachaOpen(k, n, sealed, other), decryptFailed);
        },
      ),
    );
  });

  test('seal and open round-trip with a fresh nonce each time, and a truncated box fails cleanly', () => {
    const k = new Uint8Array(32).fill(7);
    const pt = new TextEncoder().encode('hello');
    const a = seal(k, pt, new Uint8Array());
    const b = seal(k, pt, new Uint8Array());
    assert.notDeepStrictEqual(a, b);
    assert.deepStrictEqual(new Uint8Array(open(k, a, new Uint8Array())), pt);
    assert.throws(() => open(k, a.subarray(0, 30), new Uint8Array()), decryptFailed);
  });
});
