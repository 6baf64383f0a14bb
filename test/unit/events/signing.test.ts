import assert from 'node:assert/strict';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, test } from 'node:test';
import { blake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { isTgfsError } from '../../../src/errors.js';
import { eventId, eventIdBytes } from '../../../src/events/event-id.js';
import { MemoryVerifyContext, verifyEvent } from '../../../src/events/event-verifier.js';
import { signable } from '../../../src/events/signable.js';
import {
  generateMachineKeyPair,
  openRecord,
  publicKeyOf,
  recordOf,
  signEvent,
  verifySignature,
} from '../../../src/events/signing.js';
import { emit, makeMachine } from './event-factory.js';

const NS = '11'.repeat(16);
const machine = makeMachine('alice');
const se = emit(makeMachine('scratch', machine.id), NS, 'Create', {
  inode: '22'.repeat(16),
  parent: '00000000000000000000000000000001',
  name: 'notes.txt',
  kind: 'file',
  mode: 0o100644,
  uid: 1000,
  gid: 1000,
  mtimeMs: 1_700_000_000_000,
});
// Re-sign the same event with alice's key so that `se` verifies under alice.
const signed = signEvent(se.event, machine.privateKey);

describe('event signing', () => {
  test('a signed event verifies under its author key and not under another machine key', () => {
    assert.equal(verifySignature(signed, machine.publicKey), true);
    assert.equal(verifySignature(signed, generateMachineKeyPair().publicKey), false);
  });

  test('the signature covers the domain tag and the payload, so the bare payload signature is not the same', () => {
    const tag = new TextEncoder().encode('tgcryptfs/event/v1\0');
    const bytes = signable(signed.payload);
    assert.deepStrictEqual(bytes.subarray(0, tag.length), tag);
    assert.deepStrictEqual(bytes.subarray(tag.length), signed.payload);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), machine.publicKey]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    assert.equal(nodeVerify(null, bytes, key, signed.signature), true);
    assert.equal(nodeVerify(null, signed.payload, key, signed.signature), false);
  });

  test('the id is the BLAKE3-256 of the payload, as 64 hex digits', () => {
    assert.deepStrictEqual(eventIdBytes(signed.payload), blake3(signed.payload));
    assert.equal(signed.id, Buffer.from(blake3(signed.payload)).toString('hex'));
    assert.equal(eventId(signed.payload), signed.id);
    assert.match(signed.id, /^[0-9a-f]{64}$/);
  });

  test('one event signed twice has one id and one record (Ed25519 is deterministic)', () => {
    const again = signEvent(se.event, machine.privateKey);
    assert.deepStrictEqual(recordOf(again), recordOf(signed));
  });

  test('a stored record opens to the same signed event', () => {
    assert.deepStrictEqual(openRecord(recordOf(signed)), signed);
  });

  test('the raw private key is a 32-byte seed from which the public key follows', () => {
    const pair = generateMachineKeyPair();
    assert.equal(pair.privateKey.length, 32);
    assert.equal(pair.publicKey.length, 32);
    assert.deepStrictEqual(publicKeyOf(pair.privateKey), pair.publicKey);
  });

  test('a public key that is not a valid Ed25519 key fails verification instead of throwing', () => {
    assert.equal(verifySignature(signed, new Uint8Array(31)), false);
    assert.equal(verifySignature(signed, new Uint8Array(32).fill(0xff)), false);
  });

  test('any flipped bit in a stored record is rejected', () => {
    const record = recordOf(signed);
    const fresh = (): MemoryVerifyContext => {
      const ctx = new MemoryVerifyContext();
      ctx.addMachine(machine.id, machine.publicKey);
      return ctx;
    };
    assert.equal(verifyEvent(openRecord(record), fresh()), 'new', 'the intact record is accepted');
    fc.assert(
      fc.property(fc.nat(record.length - 1), fc.nat(7), (pos, bit) => {
        const damaged = new Uint8Array(record);
        damaged[pos]! ^= 1 << bit;
        assert.throws(
          () => verifyEvent(openRecord(damaged), fresh()),
          (err) => isTgfsError(err),
          `bit ${bit} of byte ${pos} flipped`,
        );
      }),
      { numRuns: 2000 },
    );
  });

  test('a flipped bit in the signature of a decoded event fails verification', () => {
    fc.assert(
      fc.property(fc.nat(63), fc.nat(7), (pos, bit) => {
        const signature = new Uint8Array(signed.signature);
        signature[pos]! ^= 1 << bit;
        return !verifySignature({ ...signed, signature }, machine.publicKey);
      }),
    );
  });
});
