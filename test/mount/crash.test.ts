/** Durability: data that fsync (or close + sync FILE) acknowledged survives a kill -9 of the mount process. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { crashMount, fuseMountAt, mountSuite, q, sha256, shOk, stopMount } from './harness/index.js';

describe('a mount killed with SIGKILL', () => {
  const suite = mountSuite({ name: 'crash', namespace: 'crash' });
  const m = (path = '') => `${suite.mountpoint}/${path}`;
  const p = (path = '') => `${suite.plain}/${path}`;

  before(() => suite.start());

  test('keeps every file whose fsync returned before the kill', async () => {
    await shOk(`
      set -e
      head -c 3000000 /dev/urandom > ${q(p('synced-by-name'))}
      head -c 1500000 /dev/urandom > ${q(p('synced-by-fd'))}
      mkdir ${q(m('dir'))}
      cp ${q(p('synced-by-name'))} ${q(m('dir/synced-by-name'))}
      # coreutils sync with a file argument opens it and calls fsync(2)
      sync ${q(m('dir/synced-by-name'))}
      # conv=fsync: fsync on the writing descriptor before close
      dd if=${q(p('synced-by-fd'))} of=${q(m('dir/synced-by-fd'))} bs=64k conv=fsync status=none
      printf small > ${q(m('dir/small'))}
      sync ${q(m('dir/small'))}
      # Namespace changes alone (an empty file, a rename, a chmod), their directory fsynced: fsyncdir must answer.
      mkdir ${q(m('meta'))}
      touch ${q(m('meta/empty'))}
      mv ${q(m('meta/empty'))} ${q(m('meta/renamed'))}
      chmod 600 ${q(m('meta/renamed'))}
      sync ${q(m('meta'))}
    `);

    const handle = suite.mount;
    const exit = await crashMount(handle);
    assert.equal(exit.signal, 'SIGKILL');
    // The dead mount is still listed until someone cleans it up; stopMount aborts and detaches it.
    await stopMount(handle);
    assert.equal(await fuseMountAt(suite.mountpoint), undefined, 'the dead mount was cleaned up');

    await suite.start();
    assert.equal(await sha256(m('dir/synced-by-name')), await sha256(p('synced-by-name')));
    assert.equal(await sha256(m('dir/synced-by-fd')), await sha256(p('synced-by-fd')));
    assert.equal(await shOk(`cat ${q(m('dir/small'))}`), 'small');
    assert.equal(await shOk(`stat -c '%s %a' ${q(m('meta/renamed'))}`), '0 600\n');
  });
});
