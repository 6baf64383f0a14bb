/**
 * The Telegram store end to end, offline: `telegram login`, `machine init --store telegram`, a real mount whose
 * data goes to Saved Messages, the machine lost, `rebuild --store telegram` on a new home. Every process talks to
 * one fake account (test/helpers/fake-telegram-client.ts, its Saved Messages kept in a file) through the real
 * adapter code.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  assertNoLeftoverMounts,
  type MountHandle,
  manifest,
  q,
  runCli,
  shOk,
  startMount,
  stopMount,
  TEST_PASSWORD,
} from './harness/index.js';

const FAKE_MODULE = fileURLToPath(new URL('../helpers/fake-telegram-client.js', import.meta.url));

describe('a Telegram-backed machine', () => {
  let root = '';
  const mounts = new Set<MountHandle>();
  const home = () => join(root, 'home');
  const mnt = () => join(root, 'mnt');
  const env = () => ({ home: home(), password: TEST_PASSWORD });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tgfs-mount-telegram-'));
    await mkdir(mnt());
    // Inherited by every CLI and mount process this file starts.
    Object.assign(process.env, {
      TGCRYPTFS_TELEGRAM_FAKE: FAKE_MODULE,
      TGCRYPTFS_FAKE_TELEGRAM_STATE: join(root, 'saved-messages.json'),
      TELEGRAM_APP_ID: '12345',
      TELEGRAM_APP_HASH: 'fake-hash',
      TGCRYPTFS_TELEGRAM_PHONE: '+15550100',
      TGCRYPTFS_TELEGRAM_CODE: '12345',
    });
  });

  after(async () => {
    for (const m of mounts) await stopMount(m).catch(() => undefined);
    if (root === '') return;
    await assertNoLeftoverMounts(root);
    await shOk(`rm -rf ${q(root)}`);
  });

  async function login(): Promise<void> {
    const r = await runCli(env(), ['telegram', 'login']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await stat(join(home(), 'telegram.session'))).mode & 0o777, 0o600);
  }

  test('logs in, mounts, loses the machine, and comes back from Saved Messages byte for byte', async () => {
    await login();
    const init = await runCli(env(), ['machine', 'init', '--name', 'phone-backed', '--store', 'telegram']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /store telegram/);

    const first = await startMount({ home: home(), password: TEST_PASSWORD, mountpoint: mnt() });
    mounts.add(first);
    await shOk(`
      set -e
      mkdir -p ${q(mnt())}/docs/deep
      printf 'hello telegram\\n' > ${q(mnt())}/docs/hello.txt
      head -c 3000000 /dev/urandom > ${q(mnt())}/docs/deep/photo.bin
      ln -s hello.txt ${q(mnt())}/docs/link
    `);
    const written = await manifest(mnt());
    assert.equal((await stopMount(first)).code, 0, first.stderr());
    mounts.delete(first);

    const status = await runCli(env(), ['sync', 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).pending.events, 0, 'everything reached Saved Messages');

    // The machine is lost: a new, empty home with only a Telegram login, the store and the password.
    await shOk(`rm -rf ${q(home())}`);
    await login();
    const rebuilt = await runCli(env(), ['rebuild', '--store', 'telegram', '--name', 'replacement']);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);

    const second = await startMount({ home: home(), password: TEST_PASSWORD, mountpoint: mnt() });
    mounts.add(second);
    assert.equal(await manifest(mnt()), written);
    assert.equal((await stopMount(second)).code, 0, second.stderr());
    mounts.delete(second);
  });

  test('a mount opens one Telegram connection for its content, its pushes and its sync rounds', async () => {
    const clientLog = join(root, 'clients.log');
    process.env['TGCRYPTFS_FAKE_TELEGRAM_CLIENT_LOG'] = clientLog;
    try {
      const m = await startMount({ home: home(), password: TEST_PASSWORD, mountpoint: mnt() });
      mounts.add(m);
      await shOk(
        `head -c 2000000 /dev/urandom > ${q(mnt())}/docs/counted.bin && cat ${q(mnt())}/docs/deep/photo.bin >/dev/null`,
      );
      const synced = await runCli(env(), ['sync', 'now']);
      assert.equal(synced.code, 0, synced.stderr);
      assert.equal((await stopMount(m)).code, 0, m.stderr());
      mounts.delete(m);
      const pids = (await readFile(clientLog, 'utf8')).split('\n').filter((l) => l !== '');
      assert.equal(
        pids.filter((p) => p === String(m.child.pid)).length,
        1,
        `clients per process: ${pids.join(', ')}`,
      );
    } finally {
      delete process.env['TGCRYPTFS_FAKE_TELEGRAM_CLIENT_LOG'];
    }
  });

  test('with Telegram out of reach the mount works from the local log, and syncs once it is back', async () => {
    const session = join(home(), 'telegram.session');
    await rename(session, `${session}.away`);
    const offline = await startMount({ home: home(), password: TEST_PASSWORD, mountpoint: mnt() });
    mounts.add(offline);
    await shOk(`
      set -e
      printf 'written offline\n' > ${q(mnt())}/docs/offline.txt
      cat ${q(mnt())}/docs/hello.txt
      sha256sum ${q(mnt())}/docs/deep/photo.bin
    `);
    assert.equal((await stopMount(offline)).code, 0, offline.stderr());
    mounts.delete(offline);
    assert.match(offline.stderr(), /no Telegram session/);
    const pending = await runCli(env(), ['sync', 'status', '--json']);
    assert.ok(JSON.parse(pending.stdout).pending.events > 0, 'the offline write waits to be pushed');

    await rename(`${session}.away`, session);
    const synced = await runCli(env(), ['sync', 'now']);
    assert.equal(synced.code, 0, synced.stderr);
    const after = await runCli(env(), ['sync', 'status', '--json']);
    assert.equal(JSON.parse(after.stdout).pending.events, 0);
  });
});
