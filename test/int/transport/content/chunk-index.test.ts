import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isTgfsError } from '../../../../src/errors.js';
import {
  ChunkIndex,
  type ChunkIndexDb,
  countStagedChunks,
} from '../../../../src/transport/content/chunk-index.js';
import { TestHome } from './content-fixtures.js';

const SYNC = { sync: true };

describe('ChunkIndex', () => {
  let home: TestHome;
  before(async () => {
    home = await TestHome.create();
  });
  after(async () => {
    await home.dispose();
  });

  /** A fresh sublevel laid out as the home lays out a namespace's chunk index. */
  function newDb(): ChunkIndexDb {
    return home.db.sublevel<string, string>(`chunks-${randomBytes(16).toString('hex')}`, {
      valueEncoding: 'utf8',
    });
  }

  test('each record kind round-trips through a classic-level sublevel', async () => {
    const index = new ChunkIndex(newDb());
    const staged = { segment: 'lz1-abc.seg', offset: 4096, length: 1234 };
    const stored = { messageId: 17, packId: 'p'.repeat(32), offset: 99, length: 1234 };
    const damaged = { messageId: 12, reason: 'chunk c1 failed authentication in message 12' };
    const flight = { afterMessageId: 16, chunkIds: ['c1', 'c2'] };
    await index.batch(
      [
        { type: 'put', kind: 'staged', id: 'c1', value: staged },
        { type: 'put', kind: 'stored', id: 'c2', value: stored },
        { type: 'put', kind: 'damaged', id: 'c3', value: damaged },
        { type: 'put', kind: 'flight', id: 'pack1', value: flight },
        { type: 'put', kind: 'lastMessage', value: 17 },
      ],
      SYNC,
    );
    assert.deepEqual(await index.get('staged', 'c1'), staged);
    assert.deepEqual(await index.get('stored', 'c2'), stored);
    assert.deepEqual(await index.get('damaged', 'c3'), damaged);
    assert.deepEqual(await index.get('flight', 'pack1'), flight);
    assert.equal(await index.lastMessageId(), 17);
    assert.deepEqual(await index.getMany('staged', ['c1', 'c2']), [staged, undefined]);
    assert.deepEqual(await index.locate(['c1', 'c2', 'c9']), [
      { staged, stored: undefined },
      { staged: undefined, stored },
      { staged: undefined, stored: undefined },
    ]);
    assert.deepEqual(await index.all('flight'), [['pack1', flight]]);

    await index.batch(
      [
        { type: 'del', kind: 'staged', id: 'c1' },
        { type: 'del', kind: 'flight', id: 'pack1' },
      ],
      SYNC,
    );
    assert.equal(await index.get('staged', 'c1'), undefined);
    assert.deepEqual(await index.all('flight'), []);
    assert.deepEqual(await index.get('stored', 'c2'), stored);
  });

  test('a namespace that has seen no message reads last message id 0', async () => {
    assert.equal(await new ChunkIndex(newDb()).lastMessageId(), 0);
  });

  test('values written by the JSON layout of earlier homes read back, and are written byte for byte', async () => {
    const db = newDb();
    const old: [string, string][] = [
      ['s:c1', '{"seg":"lz1-abc.seg","off":0,"len":100}'],
      ['s:c2', '{"seg":"lz1-abc.seg","off":100,"len":50}'],
      ['l:c3', '{"msg":5,"pack":"ab12","off":7,"len":60}'],
      ['b:c4', '{"msg":4,"reason":"bad tag"}'],
      ['f:ab12', '{"after":3,"chunks":["c3"]}'],
      ['m:lastMsg', '5'],
    ];
    await db.batch(
      old.map(([key, value]) => ({ type: 'put', key, value })),
      SYNC,
    );
    const index = new ChunkIndex(db);
    assert.deepEqual(await index.all('staged'), [
      ['c1', { segment: 'lz1-abc.seg', offset: 0, length: 100 }],
      ['c2', { segment: 'lz1-abc.seg', offset: 100, length: 50 }],
    ]);
    assert.deepEqual(await index.get('stored', 'c3'), {
      messageId: 5,
      packId: 'ab12',
      offset: 7,
      length: 60,
    });
    assert.deepEqual(await index.get('damaged', 'c4'), { messageId: 4, reason: 'bad tag' });
    assert.deepEqual(await index.get('flight', 'ab12'), { afterMessageId: 3, chunkIds: ['c3'] });
    assert.equal(await index.lastMessageId(), 5);
    assert.equal(await countStagedChunks(db), 2);

    // Writing the decoded records back must leave exactly the bytes an earlier home wrote.
    const copy = newDb();
    const again = new ChunkIndex(copy);
    await again.batch(
      [
        ...(await index.all('staged')).map(([id, value]) => ({
          type: 'put' as const,
          kind: 'staged' as const,
          id,
          value,
        })),
        { type: 'put', kind: 'stored', id: 'c3', value: (await index.get('stored', 'c3'))! },
        { type: 'put', kind: 'damaged', id: 'c4', value: (await index.get('damaged', 'c4'))! },
        { type: 'put', kind: 'flight', id: 'ab12', value: (await index.get('flight', 'ab12'))! },
        { type: 'put', kind: 'lastMessage', value: await index.lastMessageId() },
      ],
      SYNC,
    );
    const written: [string, string][] = [];
    for await (const entry of copy.iterator({ gte: '', lt: '\xff' })) written.push(entry);
    assert.deepEqual(
      written,
      [...old].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  });

  test('countStagedChunks counts only staged entries', async () => {
    const db = newDb();
    const index = new ChunkIndex(db);
    assert.equal(await countStagedChunks(db), 0);
    await index.batch(
      [
        { type: 'put', kind: 'staged', id: 'a', value: { segment: 's', offset: 0, length: 1 } },
        { type: 'put', kind: 'staged', id: 'b', value: { segment: 's', offset: 1, length: 1 } },
        { type: 'put', kind: 'stored', id: 'c', value: { messageId: 1, packId: 'p', offset: 0, length: 1 } },
        { type: 'put', kind: 'flight', id: 'p', value: { afterMessageId: 0, chunkIds: ['a'] } },
      ],
      SYNC,
    );
    assert.equal(await countStagedChunks(db), 2);
  });

  test('a damaged entry is HOME_DAMAGED naming its key', async () => {
    const db = newDb();
    await db.batch([{ type: 'put', key: 's:c1', value: '{"seg":"x","off":"0","len":1}' }], SYNC);
    await assert.rejects(
      new ChunkIndex(db).get('staged', 'c1'),
      (err) => isTgfsError(err) && err.code === 'HOME_DAMAGED' && err.message.includes('s:c1'),
    );
  });
});
