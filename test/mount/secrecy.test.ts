/** Confidentiality: nothing the home or the store keeps contains a file's content or name in clear. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { mountSuite, q, sh, shOk } from './harness/index.js';

describe('what a mount leaves on disk', () => {
  const suite = mountSuite({ name: 'secrecy' });
  const m = (path = '') => `${suite.mountpoint}/${path}`;
  const nameMarker = `NAME${randomBytes(8).toString('hex')}`;
  const contentMarker = `CONTENT${randomBytes(8).toString('hex')}`;

  before(async () => {
    await suite.start();
    await shOk(`
      set -e
      mkdir ${q(m(`dir-${nameMarker}`))}
      printf '%s' ${q(contentMarker)} > ${q(m(`dir-${nameMarker}/small-${nameMarker}.txt`))}
      # a chunked file: the marker repeated through 3 MiB
      yes ${q(contentMarker)} | head -c 3000000 > ${q(m('large.txt'))}
      ln -s ${q(`target-${nameMarker}`)} ${q(m(`link-${nameMarker}`))}
      setfattr -n user.note -v ${q(contentMarker)} ${q(m('large.txt'))} 2>/dev/null || true
    `);
    // Unmounting commits and pushes everything to the store.
    await suite.stop();
  });

  test('the markers are really there to find (the search works)', async () => {
    await suite.start();
    const found = await shOk(
      `grep -c ${q(contentMarker)} ${q(m(`dir-${nameMarker}/small-${nameMarker}.txt`))}`,
    );
    assert.equal(found.trim(), '1');
    await suite.stop();
  });

  test('neither the home nor the store holds a file name, link target or content in clear', async () => {
    for (const marker of [nameMarker, contentMarker]) {
      // -a: binary files too; -r: the LevelDB files, the chunk staging and cache, the store's messages, logs.
      const r = await sh(`grep -r -a -l ${q(marker)} ${q(suite.home)}`);
      assert.equal(r.code, 1, `found ${marker} in:\n${r.stdout}`);
    }
  });
});
