import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { encode } from 'cbor-x';
import { Keyring } from '../../../src/crypto/keyring.js';
import { isTgfsError } from '../../../src/errors.js';
import { CLUSTER_NS } from '../../../src/events/types.js';
import { formatCaption } from '../../../src/transport/store/captions.js';
import { MemoryMessageStore } from '../../../src/transport/store/memory-store.js';
import {
  decodeKeyEpoch,
  encodeKeyEpoch,
  findKeyEpochs,
  findManifest,
  type KeyEpochManifest,
  writeKeyEpoch,
  writeManifest,
} from '../../../src/transport/sync/cluster-manifest.js';

const kdf = { memoryMiB: 8, iterations: 1 };

function rotation(epoch: number, createdAtMs = 1_700_000_000_000): KeyEpochManifest {
  const ring = Keyring.single(randomBytes(32)).withEpoch(epoch, randomBytes(32), []);
  return {
    epoch,
    salt: randomBytes(16),
    kdf,
    keyCheck: randomBytes(32),
    createdAtMs,
    keyring: ring.sealEarlier(),
    signer: 'm',
    signature: randomBytes(64),
  };
}

describe('cluster manifest and key epochs', () => {
  test('a version 1 manifest, as every store before rotation holds, is key epoch 0', async () => {
    const store = new MemoryMessageStore();
    const v1 = {
      v: 1 as const,
      salt: new Uint8Array(randomBytes(16)),
      kdf,
      keyCheck: new Uint8Array(randomBytes(32)),
    };
    // The bytes older builds wrote, field for field.
    await store.append(formatCaption({ namespace: CLUSTER_NS, type: 'manifest', id: 'cluster' }), encode(v1));
    const epochs = await findKeyEpochs(store);
    assert.equal(epochs.length, 1);
    assert.equal(epochs[0]?.epoch, 0);
    assert.deepEqual(epochs[0]?.salt, v1.salt);
    assert.equal(epochs[0]?.keyring, undefined);
    assert.deepEqual((await findManifest(store))?.keyCheck, v1.keyCheck, 'still the trust anchor');
  });

  test('a rotation encodes as version 2 and decodes to itself', () => {
    const m = rotation(3);
    const back = decodeKeyEpoch(encodeKeyEpoch(m), 42);
    assert.deepEqual({ ...back, messageId: undefined }, { ...m, messageId: undefined });
    assert.equal(back.messageId, 42);
  });

  test('epochs come oldest first; the first manifest stays epoch 0 and directory updates are not epochs', async () => {
    const store = new MemoryMessageStore();
    await writeManifest(store, { v: 1, salt: randomBytes(16), kdf, keyCheck: randomBytes(32) });
    await writeKeyEpoch(store, rotation(2));
    await store.append(formatCaption({ namespace: CLUSTER_NS, type: 'manifest', id: 'dir-abc' }), encode({}));
    await writeKeyEpoch(store, rotation(1));
    // A damaged one is passed over, and one whose caption and body disagree too.
    await store.append(
      formatCaption({ namespace: CLUSTER_NS, type: 'manifest', id: 'epoch-4' }),
      encode({ v: 2 }),
    );
    await store.append(
      formatCaption({ namespace: CLUSTER_NS, type: 'manifest', id: 'epoch-5' }),
      encodeKeyEpoch(rotation(6)),
    );
    assert.deepEqual(
      (await findKeyEpochs(store)).map((e) => e.epoch),
      [0, 1, 2],
    );
  });

  test('a malformed rotation is STORE_CORRUPT', () => {
    assert.throws(
      () => decodeKeyEpoch(encode({ v: 2, epoch: 0 }), 7),
      (err: unknown) => isTgfsError(err, 'STORE_CORRUPT'),
    );
  });
});
