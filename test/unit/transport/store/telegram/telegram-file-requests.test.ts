import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { alignedFileRequests } from '../../../../../src/transport/store/telegram/telegram-file-requests.js';

const MIB = 1024 * 1024;

test('download pieces cover the range, in order, each keeping Telegram’s getFile rules', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 64 * MIB }),
      fc.integer({ min: 0, max: 5 * MIB }),
      (start, length) => {
        const end = start + length;
        const pieces = alignedFileRequests(start, end);
        if (length === 0) {
          assert.deepEqual(pieces, []);
          return;
        }
        assert.ok(pieces[0]!.offset <= start && start - pieces[0]!.offset < 4096);
        let at = pieces[0]!.offset;
        for (const { offset, limit } of pieces) {
          assert.equal(offset, at, 'pieces must be contiguous');
          assert.equal(offset % 4096, 0);
          assert.equal(limit % 4096, 0);
          assert.ok(limit <= MIB && MIB % limit === 0, `limit ${limit}`);
          assert.equal(Math.floor(offset / MIB), Math.floor((offset + limit - 1) / MIB), 'crosses 1 MiB');
          at += limit;
        }
        assert.ok(at >= end, 'the pieces stop short of the end');
        const last = pieces[pieces.length - 1]!;
        assert.ok(last.offset < end, 'a piece lies wholly past the end');
        // No more than two pieces per MiB touched: sizes only grow until the next boundary, then shrink once.
        const mibs = Math.floor((end - 1) / MIB) - Math.floor(start / MIB) + 1;
        assert.ok(pieces.length <= mibs * 2 + 16, `${pieces.length} pieces for ${mibs} MiB`);
      },
    ),
  );
});

test('a whole file downloads in 1 MiB pieces and a small read in one 4 KiB piece', () => {
  assert.deepEqual(alignedFileRequests(0, 3 * MIB), [
    { offset: 0, limit: MIB },
    { offset: MIB, limit: MIB },
    { offset: 2 * MIB, limit: MIB },
  ]);
  assert.deepEqual(alignedFileRequests(5000, 5010), [{ offset: 4096, limit: 4096 }]);
});
