import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isTgfsError } from '../../../../src/errors.js';
import { LocalMessageStore } from '../../../../src/transport/store/local-store.js';
import type { StoredMessage } from '../../../../src/transport/store/message-store.js';

const LOCAL_STORE_URL = pathToFileURL(
  join(import.meta.dirname, '../../../../src/transport/store/local-store.js'),
).href;

// A writer process: appends COUNT messages to DIR and prints the ids it got, one JSON array.
const WRITER = `
const { createHash } = await import('node:crypto');
const { LocalMessageStore } = await import(process.env.STORE_URL);
const store = await LocalMessageStore.open(process.env.DIR);
const ids = [];
for (let i = 0; i < Number(process.env.COUNT); i++) {
  const caption = 'proc-' + process.env.P + '-' + i;
  ids.push(await store.append(caption, createHash('sha256').update(caption).digest()));
}
await store.close();
process.stdout.write(JSON.stringify(ids));
`;

function runWriter(dir: string, p: number, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER], {
      env: { ...process.env, STORE_URL: LOCAL_STORE_URL, DIR: dir, P: String(p), COUNT: String(count) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`writer ${p} exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as number[]);
    });
  });
}

function digest(caption: string): Buffer {
  return createHash('sha256').update(caption).digest();
}

async function rejectsWith(promise: Promise<unknown>, code: string, mentions?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isTgfsError(err), `expected a TgfsError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    if (mentions !== undefined)
      assert.ok(err.message.includes(mentions), `"${err.message}" does not name ${mentions}`);
    return true;
  });
}

describe('LocalMessageStore', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tgfs-local-'));
    dir = join(root, 'store');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  test('several processes appending to one folder get unique ascending ids, and a concurrent reader misses none', async () => {
    await (await LocalMessageStore.open(dir)).close();
    const writers = 4;
    const count = 30;
    const reader = await LocalMessageStore.open(dir);
    const seen: StoredMessage[] = [];
    let done = false;
    // Pull like a sync engine: everything after the last id seen. A message published late under a lower id
    // would be skipped for good.
    const polling = (async () => {
      let after = 0;
      for (;;) {
        const finished = done;
        const page = await reader.list(after, 17);
        seen.push(...page);
        if (page.length > 0) after = page[page.length - 1]!.id;
        else if (finished) return;
        else await new Promise((r) => setImmediate(r));
      }
    })();
    const results = await Promise.all(Array.from({ length: writers }, (_, p) => runWriter(dir, p, count)));
    done = true;
    await polling;

    const all = results.flat();
    assert.equal(new Set(all).size, writers * count, 'two appends got one id');
    for (const ids of results) {
      for (let i = 1; i < ids.length; i++)
        assert.ok(ids[i]! > ids[i - 1]!, `ids not ascending: ${ids.join(',')}`);
    }
    const listed = await reader.list(0, 1000);
    assert.deepEqual(
      listed.map((m) => m.id),
      [...all].sort((a, b) => a - b),
    );
    assert.deepEqual(
      seen.map((m) => m.id),
      listed.map((m) => m.id),
      'the polling reader skipped or repeated a message',
    );
    for (const m of listed)
      assert.ok(Buffer.from(await reader.read(m.id)).equals(digest(m.caption)), `message ${m.id}`);
    await reader.close();
  });

  test('a reopened store sees every message, and keeps counting after the newest, even a deleted one', async () => {
    const a = await LocalMessageStore.open(dir);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await a.append(`m${i}`, Uint8Array.of(i)));
    await a.delete([ids[4]!]);
    await a.close();
    const b = await LocalMessageStore.open(dir);
    assert.deepEqual(
      (await b.list(0)).map((m) => [m.id, m.caption]),
      ids.slice(0, 4).map((id, i) => [id, `m${i}`]),
    );
    assert.deepEqual(await b.read(ids[2]!), Uint8Array.of(2));
    assert.ok((await b.append('next', Uint8Array.of(9))) > ids[4]!);
    await b.close();
  });

  test('a message deleted through another handle on the folder disappears from this handle too', async () => {
    const a = await LocalMessageStore.open(dir);
    const b = await LocalMessageStore.open(dir);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await a.append(`m${i}`, Uint8Array.of(i)));
    assert.equal((await a.list(0)).length, 3);
    await b.delete([ids[1]!]);
    assert.deepEqual(
      (await a.list(0)).map((m) => m.id),
      [ids[0], ids[2]],
    );
    await assert.rejects(a.read(ids[1]!), (e: unknown) => isTgfsError(e, 'STORE_OBJECT_MISSING'));
    await a.close();
    await b.close();
  });

  test('a message whose data was truncated is listed, and reading it fails with STORE_CORRUPT naming it', async () => {
    const store = await LocalMessageStore.open(dir);
    const id = await store.append('victim', new Uint8Array(5000).fill(7));
    const after = await store.append('after', Uint8Array.of(1));
    const [name] = (await readdir(join(dir, 'msg'))).sort();
    await truncate(join(dir, 'msg', name!), 3000);
    await rejectsWith(store.read(id), 'STORE_CORRUPT', `message ${id}`);
    await rejectsWith(store.read(id, { offset: 0, length: 10 }), 'STORE_CORRUPT', `message ${id}`);
    assert.deepEqual(
      (await store.list(0)).map((m) => m.id),
      [id, after],
    );
    assert.deepEqual(await store.read(after), Uint8Array.of(1));
    await store.close();
  });

  test('a message whose header was truncated makes list fail with STORE_CORRUPT naming it', async () => {
    const store = await LocalMessageStore.open(dir);
    const id = await store.append('victim', Uint8Array.of(1, 2, 3));
    const [name] = await readdir(join(dir, 'msg'));
    await truncate(join(dir, 'msg', name!), 10);
    await rejectsWith(store.list(0), 'STORE_CORRUPT', `message ${id}`);
    await rejectsWith(store.read(id), 'STORE_CORRUPT', `message ${id}`);
    await store.close();
  });

  test('a message file removed by hand does not hide the messages after it', async () => {
    const store = await LocalMessageStore.open(dir);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await store.append(`m${i}`, Uint8Array.of(i)));
    const names = (await readdir(join(dir, 'msg'))).sort();
    await unlink(join(dir, 'msg', names[1]!));
    assert.deepEqual(
      (await store.list(0)).map((m) => m.id),
      [ids[0], ids[2], ids[3]],
    );
    await rejectsWith(store.read(ids[1]!), 'STORE_OBJECT_MISSING');
    await store.close();
  });

  test('opening a path that is a file fails with STORE_PATH_INVALID naming it', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'hello');
    await rejectsWith(LocalMessageStore.open(file), 'STORE_PATH_INVALID', file);
    await rejectsWith(LocalMessageStore.open(join(file, 'sub')), 'STORE_PATH_INVALID');
  });

  test('a non-empty directory that is not a store is refused and left untouched', async () => {
    const home = join(root, 'home');
    await mkdir(home);
    await writeFile(join(home, 'notes.txt'), 'mine');
    await rejectsWith(LocalMessageStore.open(home), 'STORE_PATH_INVALID', home);
    assert.deepEqual(await readdir(home), ['notes.txt']);
  });

  test('open creates missing parent directories', async () => {
    const deep = join(root, 'a', 'b', 'store');
    const store = await LocalMessageStore.open(deep);
    assert.equal(await store.append('x', Uint8Array.of(1)), 1);
    await store.close();
  });

  test('listing 10k messages page by page stays fast enough for a sync poll', async () => {
    const store = await LocalMessageStore.open(dir, { durable: false });
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = 0; i < 1000; i++) await store.append(`m${w}-${i}`, Uint8Array.of(w));
      }),
    );
    let after = 0;
    let total = 0;
    for (;;) {
      const page = await store.list(after, 100);
      if (page.length === 0) break;
      total += page.length;
      after = page[page.length - 1]!.id;
    }
    assert.equal(total, 10_000);
    assert.equal(after, 10_000);
    await store.close();
  });
});
