import fc from 'fast-check';
import type {
  CreateBody,
  DeleteBody,
  EventBodies,
  EventType,
  Extent,
  Hlc,
  MachineId,
  MachineJoinedBody,
  MoveBody,
  NamespaceCreatedBody,
  SetAttrBody,
  TgfsEvent,
  VectorClock,
  WriteBody,
} from '../../../src/events/types.js';
import { EVENT_TYPES, schemaVersionOf } from '../../../src/events/types.js';

/**
 * fast-check arbitraries for event fields and whole events, shaped exactly like decodeEvent's output (plain
 * objects, plain Uint8Arrays, no -0) so that round-trip properties can use deepStrictEqual.
 */

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export const hex32Arb: fc.Arbitrary<string> = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(hex);
export const namespaceIdArb = hex32Arb;
export const inodeIdArb = hex32Arb;
export const machineIdArb: fc.Arbitrary<MachineId> = fc.uuid({ version: 4 });
export const bytes32Arb: fc.Arbitrary<Uint8Array> = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Within what orderKey can lay out (13 hex digits of wall, 8 of counter). */
export const hlcArb: fc.Arbitrary<Hlc> = fc.record(
  { wallMs: fc.nat({ max: 2 ** 45 }), counter: fc.nat({ max: 2 ** 20 }) },
  { noNullPrototype: true },
);

export const clockArb: fc.Arbitrary<VectorClock> = fc
  .array(fc.tuple(machineIdArb, fc.integer({ min: 1, max: 1_000_000 })), { maxLength: 5 })
  .map((entries) => Object.fromEntries(entries));

const textArb = fc.string({ unit: 'binary', maxLength: 24 });
const uintArb = fc.oneof(fc.nat({ max: 0o177777 }), fc.maxSafeNat());
/** Integers mostly, some fractions as stat() gives them; never -0, which CBOR writes as 0. */
const msArb = fc
  .oneof(fc.integer({ min: -1e12, max: 5e12 }), fc.double({ noNaN: true, noDefaultInfinity: true }))
  .map((x) => (x === 0 ? 0 : x));
const pathArb = textArb.map((s) => `/${s}`);

const extentArb: fc.Arbitrary<Extent> = fc.record(
  { chunkId: fc.uint8Array({ minLength: 1, maxLength: 32 }).map(hex), lengthBytes: fc.nat() },
  { noNullPrototype: true },
);

const createArb: fc.Arbitrary<CreateBody> = fc.record(
  {
    inode: inodeIdArb,
    parent: inodeIdArb,
    name: textArb,
    kind: fc.constantFrom('file', 'dir', 'symlink'),
    mode: uintArb,
    uid: uintArb,
    gid: uintArb,
    mtimeMs: msArb,
    target: textArb,
    path: pathArb,
  },
  {
    requiredKeys: ['inode', 'parent', 'name', 'kind', 'mode', 'uid', 'gid', 'mtimeMs'],
    noNullPrototype: true,
  },
);

const writeArb: fc.Arbitrary<WriteBody> = fc
  .tuple(
    fc.record(
      { inode: inodeIdArb, sizeBytes: fc.maxSafeNat(), mtimeMs: msArb, path: pathArb },
      { requiredKeys: ['inode', 'sizeBytes', 'mtimeMs'], noNullPrototype: true },
    ),
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((inline) => ({ inline })),
      fc.array(extentArb, { maxLength: 6 }).map((extents) => ({ extents })),
    ),
  )
  .map(([base, content]) => ({ ...base, ...content }));

const deleteArb: fc.Arbitrary<DeleteBody> = fc.record(
  { inode: inodeIdArb, path: pathArb },
  { requiredKeys: ['inode'], noNullPrototype: true },
);

const moveArb: fc.Arbitrary<MoveBody> = fc.record(
  { inode: inodeIdArb, parent: inodeIdArb, name: textArb, path: pathArb },
  { requiredKeys: ['inode', 'parent', 'name'], noNullPrototype: true },
);

const xattrNameArb = fc.stringMatching(/^user\.[a-z0-9._-]{1,12}$/);

const setAttrArb: fc.Arbitrary<SetAttrBody> = fc.record(
  {
    inode: inodeIdArb,
    mode: uintArb,
    uid: uintArb,
    gid: uintArb,
    mtimeMs: msArb,
    atimeMs: msArb,
    xattrSet: fc
      .array(fc.tuple(xattrNameArb, fc.uint8Array({ maxLength: 40 })), { maxLength: 4 })
      .map((entries) => Object.fromEntries(entries)),
    xattrRemove: fc.array(xattrNameArb, { maxLength: 4 }),
    path: pathArb,
  },
  { requiredKeys: ['inode'], noNullPrototype: true },
);

const namespaceCreatedArb: fc.Arbitrary<NamespaceCreatedBody> = fc.record(
  {
    namespace: namespaceIdArb,
    name: textArb,
    mode: fc.constantFrom('standalone', 'master-replica', 'distributed'),
    conflict: fc.constantFrom('last-write-wins', 'manual', 'merge'),
    master: machineIdArb,
    createdAtMs: msArb,
  },
  { noNullPrototype: true },
);

const machineJoinedArb: fc.Arbitrary<MachineJoinedBody> = fc.record(
  { machine: machineIdArb, name: textArb, publicKey: bytes32Arb, createdAtMs: msArb },
  { noNullPrototype: true },
);

export const bodyArbs: { readonly [K in EventType]: fc.Arbitrary<EventBodies[K]> } = {
  Create: createArb,
  Write: writeArb,
  Delete: deleteArb,
  Move: moveArb,
  SetAttr: setAttrArb,
  NamespaceCreated: namespaceCreatedArb,
  MachineJoined: machineJoinedArb,
};

/** An arbitrary event of any type; envelope fields are independent (no chain or clock consistency). */
export const eventArb: fc.Arbitrary<TgfsEvent> = fc.constantFrom(...EVENT_TYPES).chain((type) =>
  fc
    .record(
      {
        ns: namespaceIdArb,
        author: machineIdArb,
        seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        prev: fc.option(bytes32Arb, { nil: null }),
        clock: clockArb,
        hlc: hlcArb,
        body: bodyArbs[type] as fc.Arbitrary<EventBodies[EventType]>,
      },
      { noNullPrototype: true },
    )
    .map((fields) => ({ v: schemaVersionOf(type, fields.body), type, ...fields }) as TgfsEvent),
);
export { emit, emitJoin, makeMachine, observe, type TestMachine } from './event-factory.js';
