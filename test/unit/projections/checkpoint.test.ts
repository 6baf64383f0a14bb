import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decode, Encoder } from 'cbor-x';
import fc from 'fast-check';
import { ROOT_INODE } from '../../../src/events/types.js';
import {
  checkpointOf,
  decodeCheckpoint,
  encodeCheckpoint,
} from '../../../src/projections/namespace/checkpoint.js';
import { evolve } from '../../../src/projections/namespace/evolve.js';
import { initialNamespaceState } from '../../../src/projections/namespace/state.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { Author, inode, MACHINE_A } from './event-builders.js';
import { foldCanonical, Simulator, type Step } from './simulator.js';
import { assertTreeInvariants } from './tree-invariants.js';

const op: fc.Arbitrary<Step> = fc.record({
  t: fc.constant('op' as const),
  m: fc.nat(2),
  kind: fc.nat(5),
  a: fc.nat(40),
  b: fc.nat(40),
  c: fc.nat(40),
});

describe('namespace checkpoints', () => {
  test('a checkpoint taken after any prefix of deliveries, then the rest folded in any order, equals the full fold', () => {
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 120 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (ops, shuffle, cut) => {
          const sim = new Simulator(3);
          for (const s of ops) sim.run(s);
          const all = sim.allEvents();
          // A delivery order that is anything but canonical: late events must undo and redo after a restore.
          const order = [...all];
          for (let i = 0; i < shuffle.length && order.length > 1; i++) {
            const j = shuffle[i]! % order.length;
            [order[i % order.length], order[j]] = [order[j]!, order[i % order.length]!];
          }
          const k = Math.floor(cut * order.length);
          const before = order.slice(0, k).reduce(evolve, initialNamespaceState());
          const restored = decodeCheckpoint(encodeCheckpoint(before));
          assert.equal(
            namespaceStateHash(restored),
            namespaceStateHash(before),
            'a checkpoint restores its state',
          );
          // The rest, plus a replay of some already-folded events (a restart cannot always tell them apart).
          const after = [...order.slice(k), ...order.slice(0, Math.min(k, 3))].reduce(evolve, restored);
          assertTreeInvariants(after);
          assert.equal(namespaceStateHash(after), namespaceStateHash(foldCanonical(all)));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a sparse file’s extents, placed by offset, survive a checkpoint; a version-2 checkpoint is still read', () => {
    const a = new Author(MACHINE_A);
    const file = inode(1);
    const extents = [
      { chunkId: 'c1', lengthBytes: 10 },
      { chunkId: 'c2', lengthBytes: 10, offsetBytes: 1_000_000 },
    ];
    const state = [
      a.touch(file, ROOT_INODE, 'f'),
      a.emit('Write', { inode: file, sizeBytes: 2_000_000, extents, mtimeMs: 9 }),
    ].reduce(evolve, initialNamespaceState());
    const restored = decodeCheckpoint(encodeCheckpoint(state));
    assert.deepEqual(restored.attrs.get(file)?.content?.extents, extents);
    assert.equal(namespaceStateHash(restored), namespaceStateHash(state));
    const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });
    const older = decodeCheckpoint(cbor.encode({ ...checkpointOf(state), v: 2 }));
    assert.equal(namespaceStateHash(older), namespaceStateHash(state));
    assert.throws(() => decodeCheckpoint(cbor.encode({ ...checkpointOf(state), v: 4 })), /version 4/);
  });

  test('the stored form stays version 3: a register per attribute, content bytes, plain links and log entries', () => {
    const a = new Author(MACHINE_A);
    const [dir, file] = [inode(1), inode(2)];
    const events = [
      a.mkdir(dir, ROOT_INODE, 'd'),
      a.touch(file, dir, 'f'),
      a.emit('Write', { inode: file, sizeBytes: 3, inline: new Uint8Array([0, 200, 255]), mtimeMs: 7 }),
    ];
    const state = events.reduce(evolve, initialNamespaceState());
    const stored = decode(encodeCheckpoint(state)) as Record<string, unknown>;
    const [, touched, written] = events.map((e) => ({ hlc: e.hlc, author: e.author, seq: e.seq }));
    const attrs = new Map(stored['attrs'] as Array<[string, unknown]>);
    assert.deepEqual(attrs.get(file), {
      created: { pos: touched, value: { kind: 'file' } },
      mode: { pos: touched, value: 0o644 },
      uid: { pos: touched, value: 1 },
      gid: { pos: touched, value: 1 },
      mtimeMs: { pos: written, value: 7 },
      atimeMs: { pos: touched, value: 5 },
      ctimeMs: { pos: written, value: written!.hlc.wallMs },
      content: { pos: written, value: { sizeBytes: 3, inline: new Uint8Array([0, 200, 255]) } },
    });
    const link = { inode: file, parent: dir, name: 'f', pos: touched };
    assert.deepEqual((stored['links'] as unknown[])[1], link);
    assert.deepEqual((stored['log'] as unknown[])[1], {
      ...link,
      toTrash: false,
      old: undefined,
      skipped: false,
    });
    assert.deepEqual(
      decodeCheckpoint(encodeCheckpoint(state)).attrs.get(file)?.content?.inline,
      '\x00\xc8\xff',
    );
  });
});
