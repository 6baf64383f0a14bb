import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { EPOCH_BOX_MAGIC, eventAad } from '../../../src/crypto/contexts.js';
import { epochOfBox, openInEpoch, sealForEpoch, sealInEpoch } from '../../../src/crypto/epoch-box.js';
import { Keyring } from '../../../src/crypto/keyring.js';
import { seal, xchachaSeal } from '../../../src/crypto/xchacha.js';
import { isTgfsError } from '../../../src/errors.js';
import { chunkId } from '../../../src/transport/content/chunk-id.js';
import { openChunk, sealChunk } from '../../../src/transport/content/content-seal.js';
import { decodePackIndex, encodePackWithIndex } from '../../../src/transport/content/pack.js';

const ns = 'c'.repeat(32);
const aad = (epoch: number) => eventAad(ns, 'e'.repeat(64), epoch);
const master0 = randomBytes(32);
const master1 = randomBytes(32);
const master2 = randomBytes(32);
const ring2 = Keyring.single(master0).withEpoch(1, master1, []).withEpoch(2, master2, ['m1']);
const oldOnly = Keyring.single(master0);

describe('epoch boxes', () => {
  test('a first-epoch box is the plain box of before, and opens as before', () => {
    const key = randomBytes(32);
    const box = sealForEpoch(key, 0, Buffer.from('x'), aad);
    assert.equal(box.length, 24 + 1 + 16, 'no prefix');
    assert.equal(epochOfBox(box), 0);
    const legacy = seal(key, Buffer.from('old'), aad(0));
    assert.equal(openInEpoch(key, legacy, aad).toString(), 'old', 'what older builds sealed still opens');
  });

  test('a later epoch names itself; the keyring opens every epoch it holds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 2 }), (plain, epoch) => {
        const keys = ring2.namespaceKeys(ns).eventKey;
        const key = keys.key(epoch)!;
        const box = sealForEpoch(key, epoch, plain, aad);
        assert.equal(epochOfBox(box), epoch);
        assert.deepEqual(new Uint8Array(openInEpoch(keys, box, aad)), plain);
      }),
    );
  });

  test('a home without the epoch’s key gets KEY_EPOCH_UNKNOWN, naming the epoch, and no plaintext', () => {
    const box = sealInEpoch(ring2.namespaceKeys(ns).eventKey, Buffer.from('secret'), aad);
    assert.equal(epochOfBox(box), 2);
    assert.throws(
      () => openInEpoch(oldOnly.namespaceKeys(ns).eventKey, box, aad),
      (err: unknown) => isTgfsError(err, 'KEY_EPOCH_UNKNOWN') && (err as { epoch?: number }).epoch === 2,
    );
  });

  test('a box relabelled with another epoch, or flipped, does not open', () => {
    const keys = ring2.namespaceKeys(ns).eventKey;
    const box = Buffer.from(sealInEpoch(keys, Buffer.from('secret'), aad));
    const relabelled = Buffer.from(box);
    relabelled.writeUInt32BE(1, EPOCH_BOX_MAGIC.length);
    assert.throws(
      () => openInEpoch(keys, relabelled, aad),
      (err: unknown) => isTgfsError(err, 'DECRYPT_FAILED'),
    );
    box[box.length - 1]! ^= 1;
    assert.throws(
      () => openInEpoch(keys, box, aad),
      (err: unknown) => isTgfsError(err, 'DECRYPT_FAILED'),
    );
  });

  test('a first-epoch box whose nonce happens to start with the magic still opens', () => {
    const key = randomBytes(32);
    const nonce = Buffer.alloc(24, 9);
    nonce.set(EPOCH_BOX_MAGIC, 0);
    nonce.writeUInt32BE(7, EPOCH_BOX_MAGIC.length);
    const box = Buffer.concat([nonce, xchachaSeal(key, nonce, Buffer.from('lucky'), aad(0))]);
    assert.equal(epochOfBox(box), 7);
    assert.equal(openInEpoch(key, box, aad).toString(), 'lucky');
  });
});

describe('keyring', () => {
  test('sealed under the newest master key, it gives back every earlier one and the self-admitted list', () => {
    const sealed = ring2.sealEarlier();
    const opened = Keyring.open(2, master2, sealed);
    assert.deepEqual(opened.epochs(), [0, 1, 2]);
    assert.deepEqual(new Uint8Array(opened.masterKeyOf(0)!), new Uint8Array(master0));
    assert.deepEqual(new Uint8Array(opened.masterKeyOf(1)!), new Uint8Array(master1));
    assert.deepEqual(opened.earlierSelfAdmissions, ['m1']);
    assert.equal(opened.epoch, 2);
  });

  test('it does not open with an earlier master key, nor as another epoch’s', () => {
    const sealed = ring2.sealEarlier();
    assert.throws(
      () => Keyring.open(2, master1, sealed),
      (err: unknown) => isTgfsError(err, 'HOME_DAMAGED'),
    );
    assert.throws(
      () => Keyring.open(1, master2, sealed),
      (err: unknown) => isTgfsError(err, 'HOME_DAMAGED'),
    );
  });

  test('each epoch has its own subkeys; new chunks are named with the current epoch’s id key', () => {
    const k = ring2.namespaceKeys(ns);
    assert.notDeepEqual(k.eventKey.key(0), k.eventKey.key(2));
    assert.deepEqual(k.chunkIdKey, Keyring.single(master2, 2).namespaceKeys(ns).chunkIdKey);
    assert.equal(oldOnly.namespaceKeys(ns).eventKey.key(2), undefined);
  });
});

describe('packs and chunks of a later epoch', () => {
  const plain = randomBytes(3000);
  const id = chunkId(ring2.namespaceKeys(ns).chunkIdKey, plain);
  const keys = ring2.namespaceKeys(ns).dataKey;

  test('a pack is version 2 with its epoch in the header prefix; it opens with the keyring, not the old key', () => {
    const sealed = sealChunk(keys.key(2)!, ns, id, plain, 2);
    const { bytes } = encodePackWithIndex(
      { ns, packId: 'p'.repeat(32), chunks: [{ chunkId: id, sealed }] },
      keys,
    );
    assert.equal(bytes[8], 2);
    assert.equal(Buffer.from(bytes.subarray(9, 12)).readUIntBE(0, 3), 2);
    const [entry] = decodePackIndex(bytes, keys, ns, 'p'.repeat(32));
    assert.equal(entry?.chunkId, id);
    assert.throws(
      () => decodePackIndex(bytes, oldOnly.namespaceKeys(ns).dataKey, ns, 'p'.repeat(32)),
      (err: unknown) => isTgfsError(err, 'KEY_EPOCH_UNKNOWN'),
    );
    assert.deepEqual(openChunk(keys, ns, id, sealed, 'test'), plain);
    assert.throws(
      () => openChunk(oldOnly.namespaceKeys(ns).dataKey, ns, id, sealed, 'test'),
      (err: unknown) => isTgfsError(err, 'KEY_EPOCH_UNKNOWN'),
    );
  });

  test('a first-epoch pack keeps version 1 and its zero bytes', () => {
    const k0 = oldOnly.namespaceKeys(ns).dataKey;
    const sealed = sealChunk(k0.key(0)!, ns, id, plain);
    const { bytes } = encodePackWithIndex(
      { ns, packId: 'q'.repeat(32), chunks: [{ chunkId: id, sealed }] },
      k0,
    );
    assert.deepEqual([...bytes.subarray(8, 12)], [1, 0, 0, 0]);
    assert.equal(decodePackIndex(bytes, ring2.namespaceKeys(ns).dataKey, ns, 'q'.repeat(32)).length, 1);
  });
});
