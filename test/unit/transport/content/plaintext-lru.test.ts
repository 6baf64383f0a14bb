import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PlaintextLru } from '../../../../src/transport/content/plaintext-lru.js';

describe('PlaintextLru', () => {
  test('never holds more than its budget, and the newest entry survives', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 40 }))),
        (ops) => {
          const lru = new PlaintextLru(100);
          for (const [key, size] of ops) {
            lru.set(String(key), new Uint8Array(size));
            assert.ok(lru.sizeBytes <= 100);
            assert.equal(lru.get(String(key))?.length, size);
          }
        },
      ),
    );
  });

  test('evicts the least recently used first', () => {
    const lru = new PlaintextLru(30);
    lru.set('a', new Uint8Array(10));
    lru.set('b', new Uint8Array(10));
    lru.set('c', new Uint8Array(10));
    lru.get('a');
    lru.set('d', new Uint8Array(10));
    assert.equal(lru.get('b'), undefined);
    assert.ok(lru.get('a') && lru.get('c') && lru.get('d'));
  });

  test('an entry larger than the budget is not kept', () => {
    const lru = new PlaintextLru(10);
    lru.set('big', new Uint8Array(11));
    assert.equal(lru.get('big'), undefined);
    assert.equal(lru.sizeBytes, 0);
  });
});
