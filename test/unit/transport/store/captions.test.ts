import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isTgfsError } from '../../../../src/errors.js';
import {
  type Caption,
  formatCaption,
  OBJECT_TYPES,
  parseCaption,
} from '../../../../src/transport/store/captions.js';

const NS = 'a'.repeat(32);

const captionArb: fc.Arbitrary<Caption> = fc.record({
  namespace: fc.stringMatching(/^[0-9a-f]{32}$/),
  type: fc.constantFrom(...OBJECT_TYPES),
  id: fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/),
});

test('parseCaption undoes formatCaption', () => {
  fc.assert(
    fc.property(captionArb, (c) => {
      const text = formatCaption(c);
      assert.ok(text.length <= 1024);
      // fast-check records have a null prototype; compare plain copies.
      assert.deepEqual(parseCaption(text), { ...c });
    }),
  );
});

test('a caption has the documented layout', () => {
  assert.equal(formatCaption({ namespace: NS, type: 'op', id: 'batch-7' }), `tgfs:${NS}:op:batch-7`);
});

test('foreign or malformed captions parse as undefined', () => {
  for (const text of [
    '',
    'hello',
    `tgfs:${NS}:chunk`,
    `tgfs:${NS}:chunk:`,
    `tgfs:${NS}:blob:x`,
    `tgfs:${NS.toUpperCase()}:chunk:x`,
    `tgfs:${NS.slice(1)}:chunk:x`,
    `tgfs:${NS}:chunk:a:b`,
    `tgfs:${NS}:chunk:${'x'.repeat(129)}`,
    `tgfs:${NS}:chunk:x\n`,
    ` tgfs:${NS}:chunk:x`,
    `TGFS:${NS}:chunk:x`,
  ]) {
    assert.equal(parseCaption(text), undefined, JSON.stringify(text));
  }
});

test('any string that is not a well-formed caption parses as undefined, never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      const parsed = parseCaption(s);
      if (parsed !== undefined) assert.equal(formatCaption(parsed), s);
    }),
  );
});

test('formatCaption refuses bad parts with INVALID_ARGUMENT naming them', () => {
  const bad: [Caption, string][] = [
    [{ namespace: 'xyz', type: 'chunk', id: 'a' }, 'namespace'],
    [{ namespace: NS, type: 'blob' as Caption['type'], id: 'a' }, 'type'],
    [{ namespace: NS, type: 'chunk', id: '' }, 'id'],
    [{ namespace: NS, type: 'chunk', id: 'a:b' }, 'id'],
    [{ namespace: NS, type: 'chunk', id: 'x'.repeat(129) }, 'id'],
  ];
  for (const [c, part] of bad) {
    assert.throws(
      () => formatCaption(c),
      (err: unknown) => isTgfsError(err, 'INVALID_ARGUMENT') && err.message.includes(part),
    );
  }
});
