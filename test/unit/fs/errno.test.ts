import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TgfsError, type TgfsErrorCode } from '../../../src/errors.js';
import { errnoForCode, errnoOf } from '../../../src/fs/errno.js';

// Linux errno values, spelled out so a wrong table entry cannot hide behind a shared constant.
const expected: [TgfsErrorCode, number][] = [
  ['NOT_FOUND', 2],
  ['EXISTS', 17],
  ['NOT_EMPTY', 39],
  ['NOT_DIR', 20],
  ['IS_DIR', 21],
  ['READ_ONLY', 30],
  ['ACCESS_DENIED', 13],
  ['NOT_PERMITTED', 1],
  ['INVALID_ARGUMENT', 22],
  ['NAME_TOO_LONG', 36],
  ['NO_XATTR', 61],
  ['NOT_SUPPORTED', 95],
  ['NO_SPACE', 28],
  ['CHUNK_AUTH_FAILED', 5],
  ['CHUNK_MISSING', 5],
  ['STORE_UNAVAILABLE', 5],
  ['DECRYPT_FAILED', 5],
];

describe('errnoOf', () => {
  for (const [code, errno] of expected) {
    test(`${code} reaches the kernel as -${errno}`, () => {
      const lines: string[] = [];
      assert.equal(
        errnoOf(new TgfsError(code, 'x'), (l) => lines.push(l)),
        -errno,
      );
      assert.equal(errnoForCode(code), errno);
    });
  }

  test('expected failures (ENOENT, EEXIST…) log nothing', () => {
    const lines: string[] = [];
    errnoOf(new TgfsError('NOT_FOUND', '/a/b'), (l) => lines.push(l));
    errnoOf(new TgfsError('EXISTS', '/a'), (l) => lines.push(l));
    assert.deepEqual(lines, []);
  });

  test('a chunk failing authentication is EIO and its message (inode, chunk, event) is logged', () => {
    const lines: string[] = [];
    const err = new TgfsError(
      'CHUNK_AUTH_FAILED',
      'chunk c0ffee of inode 1234 (event e1) failed authentication',
    );
    assert.equal(
      errnoOf(err, (l) => lines.push(l)),
      -5,
    );
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /CHUNK_AUTH_FAILED.*chunk c0ffee of inode 1234 \(event e1\)/);
  });

  test('a plain Error is EIO and is logged with its stack', () => {
    const lines: string[] = [];
    const err = new TypeError('cannot read properties of undefined');
    assert.equal(
      errnoOf(err, (l) => lines.push(l)),
      -5,
    );
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.includes(err.stack!), lines[0]);
  });

  test('a thrown non-Error is EIO and is logged', () => {
    const lines: string[] = [];
    assert.equal(
      errnoOf('weird', (l) => lines.push(l)),
      -5,
    );
    assert.match(lines[0]!, /weird/);
  });
});
