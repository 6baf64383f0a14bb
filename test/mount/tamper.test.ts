/** Integrity: a chunk tampered with in the store fails its read with EIO; nothing else breaks or is overwritten. */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { mountSuite, q, sh, sha256, shOk } from './harness/index.js';

/** The local store's message file: "TGFSMSG1", u32 caption length, u64 data length, f64 date, caption, data. */
function parseMessage(bytes: Buffer): { caption: string; dataOffset: number } {
  const captionLength = bytes.readUInt32LE(8);
  return { caption: bytes.subarray(28, 28 + captionLength).toString('utf8'), dataOffset: 28 + captionLength };
}

describe('a chunk tampered with in the store', () => {
  const suite = mountSuite({ name: 'tamper' });
  const m = (path = '') => `${suite.mountpoint}/${path}`;
  const p = (path = '') => `${suite.plain}/${path}`;
  let tamperedFile = '';
  let tamperedBytes: Buffer;

  before(async () => {
    await suite.start();
    await shOk(`
      set -e
      head -c 2000000 /dev/urandom > ${q(p('victim'))}
      cp ${q(p('victim'))} ${q(m('victim'))}
      printf 'still fine' > ${q(m('inline.txt'))}
      mkdir ${q(m('dir'))}
    `);
    await suite.stop();
    // Flip one byte inside the first sealed chunk of the pack that holds the large file.
    const msgDir = join(suite.home, 'store', 'msg');
    for (const name of (await readdir(msgDir)).sort()) {
      const bytes = await readFile(join(msgDir, name));
      const { caption, dataOffset } = parseMessage(bytes);
      if (!caption.includes(':chunk:')) continue;
      const headerLength = bytes.readUInt32BE(dataOffset + 12);
      const at = dataOffset + 16 + headerLength + 100;
      bytes[at] = bytes[at]! ^ 0x01;
      await writeFile(join(msgDir, name), bytes);
      tamperedFile = join(msgDir, name);
      tamperedBytes = bytes;
    }
    assert.notEqual(tamperedFile, '', 'the store holds a pack');
    // The chunk cache and staging area are disposable copies: drop them so the read must go to the store.
    const cacheRoot = join(suite.home, 'cache');
    for (const ns of await readdir(cacheRoot)) {
      await rm(join(cacheRoot, ns, 'cache'), { recursive: true, force: true });
    }
    await suite.start();
  });

  test('reading the file fails with "Input/output error"', async () => {
    const r = await sh(`cat ${q(m('victim'))} > /dev/null`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Input\/output error/);
  });

  test('the rest of the filesystem keeps working', async () => {
    assert.equal(await shOk(`cat ${q(m('inline.txt'))}`), 'still fine');
    await shOk(`printf new > ${q(m('dir/new.txt'))}`);
    assert.equal(await shOk(`cat ${q(m('dir/new.txt'))}`), 'new');
    assert.match(await shOk(`ls ${q(m())}`), /victim/);
  });

  test('the mount logs which inode, event and chunk failed', () => {
    assert.match(
      suite.mount.stderr(),
      /inode [0-9a-f]{32} \(content of event [0-9a-f-]{36}#\d+\) failed: chunk [0-9a-f]{64}/,
    );
  });

  test('nothing in the store was overwritten, and a rewrite of the file heals it', async () => {
    assert.deepEqual(await readFile(tamperedFile), tamperedBytes);
    await shOk(`cp ${q(p('victim'))} ${q(m('victim'))}`);
    assert.equal(await sha256(m('victim')), await sha256(p('victim')));
  });
});
