import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { isTgfsError } from '../../../src/errors.js';
import { decodeEvent, decodeRecord, encodeEvent, encodeRecord } from '../../../src/events/codec.js';
import type { TgfsEvent } from '../../../src/events/types.js';
import { eventArb } from './arbitraries.js';

// Writes anything, so that tests can build payloads encodeEvent would refuse.
const raw = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

const AUTHOR = '0b7f4c8e-8c1a-4d2e-9f00-112233445566';
const base: TgfsEvent = {
  v: 1,
  ns: 'ab'.repeat(16),
  author: AUTHOR,
  seq: 2,
  prev: new Uint8Array(32).fill(0xee),
  clock: { [AUTHOR]: 2 },
  hlc: { wallMs: 1_700_000_000_000, counter: 3 },
  type: 'Write',
  body: { inode: 'cd'.repeat(16), sizeBytes: 3, inline: Uint8Array.of(1, 2, 3), mtimeMs: 1_700_000_000_000 },
};

// biome-ignore lint/suspicious/noExplicitAny: these payloads are ill-typed on purpose
type Loose = Record<string, any>;

/** A plain, mutable deep copy of `base` to break in one place. */
function broken(mutate: (e: Loose) => void): Uint8Array {
  const e = structuredClone(base) as unknown as Loose;
  mutate(e);
  return raw.encode(e);
}

function rejects(
  payload: Uint8Array,
  code: 'EVENT_MALFORMED' | 'EVENT_SCHEMA_UNKNOWN',
  mention: string,
): void {
  assert.throws(
    () => decodeEvent(payload),
    (err) => isTgfsError(err, code) && err.message.includes(mention),
    `expected ${code} mentioning ${mention}`,
  );
}

describe('event codec', () => {
  test('every event type decodes to exactly what was encoded', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        assert.deepStrictEqual(decodeEvent(encodeEvent(e)), e);
      }),
      { numRuns: 1000 },
    );
  });

  test('encoding is stable: re-encoding a decoded event gives the same bytes, whatever the key order', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        const bytes = encodeEvent(e);
        assert.deepStrictEqual(encodeEvent(decodeEvent(bytes)), bytes);
        const reordered = Object.fromEntries(Object.entries(e).reverse()) as unknown as TgfsEvent;
        const body = Object.fromEntries(Object.entries(e.body).reverse());
        const clock = Object.fromEntries(Object.entries(e.clock).reverse());
        assert.deepStrictEqual(encodeEvent({ ...reordered, body, clock } as TgfsEvent), bytes);
      }),
      { numRuns: 300 },
    );
  });

  test('decoded byte strings are plain Uint8Arrays that do not share the payload buffer', () => {
    const payload = encodeEvent(base);
    const e = decodeEvent(payload);
    assert.ok(e.type === 'Write' && e.body.inline !== undefined);
    assert.equal(Object.getPrototypeOf(e.body.inline), Uint8Array.prototype);
    assert.equal(Object.getPrototypeOf(e.prev), Uint8Array.prototype);
    payload.fill(0);
    assert.deepStrictEqual(e.body.inline, Uint8Array.of(1, 2, 3));
  });

  test('the encoding of a fixed event is pinned (changing it orphans every stored event id)', () => {
    assert.equal(Buffer.from(encodeEvent(base)).toString('hex'), GOLDEN_HEX);
  });

  test('a payload from another schema version is EVENT_SCHEMA_UNKNOWN, so the caller halts instead of skipping', () => {
    rejects(
      broken((e) => {
        e['v'] = 3;
      }),
      'EVENT_SCHEMA_UNKNOWN',
      'version 3',
    );
    rejects(
      broken((e) => {
        e['type'] = 'SnapshotTaken';
      }),
      'EVENT_SCHEMA_UNKNOWN',
      'SnapshotTaken',
    );
  });

  test('schema 1 events read as they always did, and cannot use what schema 2 added', () => {
    assert.deepStrictEqual(decodeEvent(encodeEvent(base)), base);
    const asV2 = { ...base, v: 2 } as TgfsEvent;
    assert.deepStrictEqual(decodeEvent(encodeEvent(asV2)), asV2, 'a schema 2 Write is a Write');
    const link = {
      ...base,
      type: 'Link',
      body: { entry: 'ef'.repeat(16), inode: 'cd'.repeat(16), parent: '00'.repeat(15) + '01', name: 'x' },
    };
    rejects(raw.encode(link), 'EVENT_MALFORMED', 'needs schema 2');
    assert.deepStrictEqual(decodeEvent(raw.encode({ ...link, v: 2 })), { ...link, v: 2 });
    const unlink = { ...base, type: 'Delete', body: { inode: 'cd'.repeat(16), entry: 'ef'.repeat(16) } };
    rejects(raw.encode(unlink), 'EVENT_MALFORMED', 'needs schema 2');
    const fifo = {
      ...base,
      type: 'Create',
      body: {
        inode: 'cd'.repeat(16),
        parent: 'cd'.repeat(16),
        name: 'p',
        kind: 'fifo',
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtimeMs: 0,
      },
    };
    rejects(raw.encode(fifo), 'EVENT_MALFORMED', 'needs schema 2');
    assert.equal(decodeEvent(raw.encode({ ...fifo, v: 2 })).type, 'Create');
  });

  const cases: [string, (e: Loose) => void][] = [
    ['v', (e) => delete e['v']],
    ['v', (e) => (e['v'] = '1')],
    ['ns', (e) => (e['ns'] = 'AB'.repeat(16))],
    ['ns', (e) => (e['ns'] = 'ab')],
    ['author', (e) => (e['author'] = 'not-a-uuid')],
    ['seq', (e) => (e['seq'] = 0)],
    ['seq', (e) => (e['seq'] = 1.5)],
    ['prev', (e) => (e['prev'] = new Uint8Array(31))],
    ['prev', (e) => delete e['prev']],
    ['clock', (e) => (e['clock'] = [1])],
    ['clock', (e) => (e['clock'][AUTHOR] = -1)],
    ['clock key', (e) => (e['clock']['someone'] = 1)],
    ['hlc.counter', (e) => delete e['hlc']['counter']],
    ['hlc.wallMs', (e) => (e['hlc']['wallMs'] = 'now')],
    ['type', (e) => (e['type'] = 7)],
    ['event.extra', (e) => (e['extra'] = 1)],
    ['body', (e) => (e['body'] = 'x')],
    ['body.inode', (e) => delete e['body']['inode']],
    ['body.sizeBytes', (e) => (e['body']['sizeBytes'] = -3)],
    ['body.inline', (e) => (e['body']['inline'] = 'abc')],
    ['body.mtimeMs', (e) => (e['body']['mtimeMs'] = null)],
    ['body.surprise', (e) => (e['body']['surprise'] = true)],
    ['inline and extents', (e) => (e['body']['extents'] = [])],
    ['inline and extents', (e) => delete e['body']['inline']],
    [
      'body.extents[0].lengthBytes',
      (e) => {
        delete e['body']['inline'];
        e['body']['extents'] = [{ chunkId: 'aa', lengthBytes: 1.5 }];
      },
    ],
    [
      'body.kind',
      (e) => {
        e['type'] = 'Create';
        e['body'] = {
          inode: 'cd'.repeat(16),
          parent: 'cd'.repeat(16),
          name: 'x',
          kind: 'pipe',
          mode: 0,
          uid: 0,
          gid: 0,
          mtimeMs: 0,
        };
      },
    ],
    [
      'body.publicKey',
      (e) => {
        e['type'] = 'MachineJoined';
        e['body'] = { machine: AUTHOR, name: 'm', publicKey: new Uint8Array(31), createdAtMs: 0 };
      },
    ],
    [
      'body.xattrSet.user.a',
      (e) => {
        e['type'] = 'SetAttr';
        e['body'] = { inode: 'cd'.repeat(16), xattrSet: { 'user.a': 'text, not bytes' } };
      },
    ],
  ];
  for (const [field, mutate] of cases) {
    test(`a payload with a bad ${field} is EVENT_MALFORMED naming it`, () => {
      rejects(broken(mutate), 'EVENT_MALFORMED', field);
    });
  }

  test('schema 2 places extents by offset (holes between and after); schema 1 cannot, and disorder is refused', () => {
    const sparse = {
      ...base,
      v: 2,
      body: {
        inode: 'cd'.repeat(16),
        sizeBytes: 10_000,
        extents: [
          { chunkId: 'a', lengthBytes: 100 },
          { chunkId: 'b', lengthBytes: 50, offsetBytes: 5000 },
        ],
        mtimeMs: 1_700_000_000_000,
      },
    } as TgfsEvent;
    assert.deepEqual(decodeEvent(encodeEvent(sparse)), sparse);
    rejects(raw.encode({ ...sparse, v: 1 }), 'EVENT_MALFORMED', 'needs schema version 2');
    const place = (offsets: number[], sizeBytes: number) =>
      raw.encode({
        ...sparse,
        body: {
          ...sparse.body,
          sizeBytes,
          extents: offsets.map((o, i) => ({ chunkId: `c${i}`, lengthBytes: 100, offsetBytes: o })),
        },
      });
    rejects(place([500, 450], 10_000), 'EVENT_MALFORMED', 'before the previous one ends');
    rejects(place([0, 9950], 10_000), 'EVENT_MALFORMED', 'past the file');
  });

  test('bytes that are not one CBOR map are EVENT_MALFORMED', () => {
    rejects(new Uint8Array(), 'EVENT_MALFORMED', 'CBOR');
    rejects(Uint8Array.of(0xff, 0x00), 'EVENT_MALFORMED', 'CBOR');
    rejects(raw.encode([1, 2]), 'EVENT_MALFORMED', 'event');
    const good = encodeEvent(base);
    rejects(good.subarray(0, good.length - 1), 'EVENT_MALFORMED', 'CBOR');
    rejects(Uint8Array.from([...good, 0]), 'EVENT_MALFORMED', 'CBOR');
  });

  test('encodeEvent refuses to produce a malformed payload', () => {
    const bad = { ...base, seq: 0 } as TgfsEvent;
    assert.throws(
      () => encodeEvent(bad),
      (err) => isTgfsError(err, 'EVENT_MALFORMED'),
    );
    // UTF-8 cannot carry a lone surrogate: the name would come back changed on every other machine.
    const loneSurrogate = {
      ...base,
      type: 'Move',
      body: { inode: 'cd'.repeat(16), parent: 'cd'.repeat(16), name: 'x\ud800y' },
    } as TgfsEvent;
    assert.throws(
      () => encodeEvent(loneSurrogate),
      (err) => isTgfsError(err, 'EVENT_MALFORMED') && /body\.name/.test(err.message),
    );
  });

  test('decoding leaves the payload array untouched', () => {
    const payload = encodeEvent(base);
    const copy = new Uint8Array(payload);
    decodeEvent(payload);
    decodeRecord(encodeRecord(payload, new Uint8Array(64)));
    assert.deepStrictEqual(payload, copy);
    assert.deepStrictEqual(Object.keys(payload).length, payload.length);
  });

  test('a record keeps payload and signature byte for byte', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 500 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (p, s) => {
          assert.deepStrictEqual(decodeRecord(encodeRecord(p, s)), { payload: p, signature: s });
        },
      ),
    );
  });

  test('a record of the wrong shape is EVENT_MALFORMED', () => {
    const p = encodeEvent(base);
    const sig = new Uint8Array(64);
    const isMalformed = (err: unknown): boolean => isTgfsError(err, 'EVENT_MALFORMED');
    assert.throws(() => decodeRecord(raw.encode([p])), isMalformed);
    assert.throws(() => decodeRecord(raw.encode([p, sig, sig])), isMalformed);
    assert.throws(() => decodeRecord(raw.encode([p, sig.subarray(0, 63)])), /record\.signature/);
    assert.throws(() => decodeRecord(raw.encode(['text', sig])), /record\.payload/);
    assert.throws(() => decodeRecord(Uint8Array.of(0x82)), isMalformed);
  });
});

// Computed once from this build; a deliberate format change must bump SCHEMA_VERSION, not this string.
const GOLDEN_HEX =
  'a9617601626e737820616261626162616261626162616261626162616261626162616261626162616266617574686f72782430623766346338652d386331612d346432652d396630302d313132323333343435353636637365710264707265765820eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee65636c6f636ba1782430623766346338652d386331612d346432652d396630302d3131323233333434353536360263686c63a26677616c6c4d73fb4278bcfe5680000067636f756e74657203647479706565577269746564626f6479a465696e6f6465782063646364636463646364636463646364636463646364636463646364636463646973697a6542797465730366696e6c696e6543010203676d74696d654d73fb4278bcfe56800000';
