import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keyCheckValue } from '../../../src/crypto/key-check.js';
import { homeKey, namespaceKeys } from '../../../src/crypto/subkeys.js';

const master = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const nsA = 'aa'.repeat(16);
const nsB = 'bb'.repeat(16);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('subkeys', () => {
  test('every purpose and namespace gets its own 32-byte key', () => {
    const a = namespaceKeys(master, nsA);
    const b = namespaceKeys(master, nsB);
    const all = [a.dataKey, a.chunkIdKey, a.eventKey, b.dataKey, b.chunkIdKey, b.eventKey, homeKey(master)];
    all.push(keyCheckValue(master));
    for (const k of all) assert.equal(k.length, 32);
    assert.equal(new Set(all.map(hex)).size, all.length);
  });

  test('keys are a function of the master key: the same on every machine, different under another', () => {
    assert.deepStrictEqual(namespaceKeys(master, nsA), namespaceKeys(new Uint8Array(master), nsA));
    const other = new Uint8Array(master);
    other[0]! ^= 1;
    assert.notDeepStrictEqual(namespaceKeys(other, nsA).dataKey, namespaceKeys(master, nsA).dataKey);
  });

  test('the data key is HKDF-SHA-256 with the documented label (the on-store format depends on it)', () => {
    const expected = hkdf(
      sha256,
      master,
      undefined,
      new TextEncoder().encode(`tgcryptfs/v1/ns-data/${nsA}`),
      32,
    );
    assert.deepStrictEqual(namespaceKeys(master, nsA).dataKey, expected);
  });

  test('a master key of the wrong size is a programmer error', () => {
    assert.throws(() => homeKey(new Uint8Array(16)), TypeError);
  });
});
