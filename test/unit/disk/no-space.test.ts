import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { asNoSpace, isNoSpace } from '../../../src/disk/no-space.js';
import { isTgfsError, TgfsError } from '../../../src/errors.js';
import { errnoOf } from '../../../src/fs/errno.js';

/** What Node's fs rejects with on a full disk. */
function fsNoSpace(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}

/** What classic-level rejects a write with on a full disk (seen on a full tmpfs). */
function levelNoSpace(): Error {
  return Object.assign(new Error('IO error: /home/u/.tgcryptfs/db/000006.log: No space left on device'), {
    code: 'LEVEL_IO_ERROR',
  });
}

describe('a full disk, whoever reports it', () => {
  test('an ENOSPC or EDQUOT from fs, and LevelDB saying "No space left on device", are a full disk', () => {
    assert.ok(isNoSpace(fsNoSpace()));
    assert.ok(isNoSpace(Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' })));
    assert.ok(isNoSpace(levelNoSpace()));
    assert.ok(isNoSpace(new TgfsError('NO_SPACE', 'full')));
  });

  test('a full disk wrapped as the cause of another error is still one', () => {
    assert.ok(isNoSpace(new Error('batch failed', { cause: levelNoSpace() })));
    assert.ok(isNoSpace(new TgfsError('HOME_DAMAGED', 'x', { cause: fsNoSpace() })));
  });

  test('other I/O failures are not', () => {
    assert.ok(!isNoSpace(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })));
    assert.ok(
      !isNoSpace(
        Object.assign(new Error('IO error: lock /h/db/LOCK: Resource temporarily unavailable'), {
          code: 'LEVEL_IO_ERROR',
        }),
      ),
    );
    assert.ok(!isNoSpace(new TgfsError('STORE_UNAVAILABLE', 'offline')));
    assert.ok(!isNoSpace(undefined));
  });

  test('asNoSpace turns an ENOSPC from fs and from classic-level into NO_SPACE naming what was written', () => {
    for (const raw of [fsNoSpace(), levelNoSpace()]) {
      const err = asNoSpace(raw, 'the op log in /h/db');
      assert.ok(isTgfsError(err, 'NO_SPACE'));
      assert.match((err as Error).message, /the op log in \/h\/db/);
      assert.equal((err as Error).cause, raw);
    }
    const other = new Error('EIO');
    assert.equal(asNoSpace(other, 'x'), other);
  });

  test('the kernel sees ENOSPC, never EIO, for a full disk however it arrives, and no stack is logged', () => {
    for (const err of [fsNoSpace(), levelNoSpace(), new TgfsError('NO_SPACE', 'full')]) {
      const lines: string[] = [];
      assert.equal(
        errnoOf(err, (l) => lines.push(l)),
        -28,
      );
      assert.deepEqual(lines, []);
    }
  });
});
