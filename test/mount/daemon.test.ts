/** `mount --daemon` returns once the mount is ready, leaves no password in the daemon's environment, and `unmount` stops it. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  assertNoLeftoverMounts,
  forceUnmount,
  fuseMountAt,
  initHome,
  q,
  runCli,
  shOk,
  TEST_PASSWORD,
} from './harness/index.js';

let root = '';
const home = () => join(root, 'home');
const mnt = () => join(root, 'mnt');
const env = () => ({ home: home(), password: TEST_PASSWORD });

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tgfs-mount-daemon-'));
  await mkdir(mnt());
  await initHome(home(), TEST_PASSWORD);
});

after(async () => {
  if (root === '') return;
  if ((await fuseMountAt(mnt())) !== undefined) await forceUnmount(mnt()).catch(() => undefined);
  await assertNoLeftoverMounts(root);
  await shOk(`rm -rf ${q(root)}`);
});

test('mount --daemon detaches once mounted; the daemon holds no password in its environment; unmount stops it', async () => {
  const started = await runCli(env(), ['mount', '--daemon', mnt()]);
  assert.equal(started.code, 0, started.stderr);
  assert.equal(started.stdout, `mounted ${mnt()}\n`);
  await shOk(`printf daemon > ${q(join(mnt(), 'f'))}`);
  assert.equal(await shOk(`cat ${q(join(mnt(), 'f'))}`), 'daemon');

  const record = JSON.parse(await shOk(`cat ${q(home())}/mounts/*.json`)) as { pid: number };
  const environ = await readFile(`/proc/${record.pid}/environ`, 'utf8');
  assert.ok(!environ.includes(TEST_PASSWORD), 'the password is not in the daemon environment');

  const stopped = await runCli(env(), ['unmount', mnt()]);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(await fuseMountAt(mnt()), undefined);
});
