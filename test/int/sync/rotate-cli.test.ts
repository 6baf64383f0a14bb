import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FAST_KDF, runCli } from '../../helpers/run-cli.js';

describe('cluster remove --new-password-file and cluster rotate-key on the command line', () => {
  let root: string;
  let store: string;
  let newPasswordFile: string;
  const ids = new Map<string, string>();
  const env = (home: string, password = 'correct horse') => ({
    TGCRYPTFS_HOME: join(root, home),
    TGCRYPTFS_PASSWORD: password,
  });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tgfs-rotate-cli-'));
    store = join(root, 'store');
    newPasswordFile = join(root, 'new-password');
    await writeFile(newPasswordFile, 'battery staple\n', { mode: 0o600 });
    const init = async (name: string, ...extra: string[]) => {
      const r = await runCli(
        ['machine', 'init', '--name', name, '--store', `local:${store}`, '--json', ...FAST_KDF, ...extra],
        env(name),
      );
      assert.equal(r.code, 0, r.stderr);
      ids.set(name, JSON.parse(r.stdout).id);
    };
    await init('a');
    for (const name of ['b', 'c', 'd']) {
      const invite = await runCli(['cluster', 'invite', '--json'], env('a'));
      assert.equal(invite.code, 0, invite.stderr);
      await init(name, '--token', JSON.parse(invite.stdout).token);
    }
    for (const name of ['b', 'c', 'd', 'a']) assert.equal((await runCli(['sync', 'now'], env(name))).code, 0);
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('remove with a new password rotates: stdout says so, the admin’s home then opens with the new password only', async () => {
    const r = await runCli(
      ['cluster', 'remove', ids.get('c')!, '--new-password-file', newPasswordFile],
      env('a'),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^removed .*later ones are refused\n/);
    assert.match(r.stdout, /the cluster's password changed \(key epoch 1\)/);
    const old = await runCli(['cluster', 'members', '--json'], env('a'));
    assert.equal(old.code, 3);
    assert.match(old.stderr, /^tgcryptfs: wrong password/);
    const members = await runCli(['cluster', 'members', '--json'], env('a', 'battery staple'));
    assert.equal(members.code, 0, members.stderr);
    const c = (JSON.parse(members.stdout) as { id: string; status: string }[]).find(
      (m) => m.id === ids.get('c'),
    );
    assert.equal(c?.status, 'removed');
  });

  test('another machine unlocked with the new password moves to the new epoch', async () => {
    const r = await runCli(['sync', 'now'], env('b', 'battery staple'));
    assert.equal(r.code, 0, r.stderr);
    const old = await runCli(['sync', 'status'], env('b'));
    assert.equal(old.code, 3, 'switched for good');
  });

  test('remove without a new password warns on stderr that the removed machine can still read', async () => {
    const r = await runCli(['cluster', 'remove', ids.get('d')!], env('a', 'battery staple'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^removed /);
    assert.match(r.stderr, /the password was not changed: .* can still read everything in the store/);
  });

  test('rotate-key alone starts the next epoch; a non-admin may not', async () => {
    const second = join(root, 'second');
    await writeFile(second, 'third password');
    const denied = await runCli(
      ['cluster', 'rotate-key', '--new-password-file', second],
      env('b', 'battery staple'),
    );
    assert.equal(denied.code, 10);
    assert.match(denied.stderr, /not an admin/);
    const r = await runCli(
      ['cluster', 'rotate-key', '--new-password-file', second],
      env('a', 'battery staple'),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /key epoch 2/);
  });
});
