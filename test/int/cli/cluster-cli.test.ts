/**
 * The `cluster` and `machine list` commands as a user runs them: three homes on one local store, each its own
 * CLI process. A join without a token waits for `cluster admit`; a non-admin is refused with exit 10.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FAST_KDF, runCli } from '../../helpers/run-cli.js';

describe('tgcryptfs cluster on the command line', () => {
  let root: string;
  let store: string;
  const env = (home: string) => ({ TGCRYPTFS_HOME: join(root, home), TGCRYPTFS_PASSWORD: 'correct horse' });
  const ok = async (home: string, ...args: string[]) => {
    const r = await runCli(args, env(home));
    assert.equal(r.code, 0, `${args.join(' ')} on ${home}: ${r.stderr}`);
    return r.stdout;
  };
  const json = async (home: string, ...args: string[]) => JSON.parse(await ok(home, ...args, '--json'));
  const init = (home: string, ...extra: string[]) =>
    ok(home, 'machine', 'init', '--name', home, '--store', `local:${store}`, ...FAST_KDF, ...extra, '--json');
  const ids: Record<string, string> = {};

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tgfs-cluster-cli-'));
    store = join(root, 'store');
    ids['admin'] = JSON.parse(await init('admin', '--cluster', 'home-lab')).id;
    ids['pending'] = JSON.parse(await init('pending')).id;
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('the first machine created the cluster and is its admin', async () => {
    const status = await json('admin', 'cluster', 'status');
    assert.equal(status.cluster, 'home-lab');
    assert.equal(status.creator, ids['admin']);
    assert.equal(status.machine.admin, true);
    assert.equal(status.machine.status, 'admitted');
  });

  test('a join without a token is pending, listed with its key fingerprint, until `cluster admit`', async () => {
    await ok('pending', 'sync', 'now');
    const pending = await json('admin', 'cluster', 'members', '--pending');
    assert.deepEqual(
      pending.map((m: { id: string }) => m.id),
      [ids['pending']],
    );
    assert.match(pending[0].fingerprint, /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
    // The pending machine may not admit itself, nor invite.
    const self = await runCli(['cluster', 'admit', ids['pending']!], env('pending'));
    assert.equal(self.code, 10, self.stderr);
    assert.match(self.stderr, /not admitted yet|not an admin/);

    const admitted = await ok('admin', 'cluster', 'admit', ids['pending']!.slice(0, 8));
    assert.match(admitted, new RegExp(`admitted pending \\(${ids['pending']}\\)`));
    await ok('pending', 'sync', 'now');
    const list = await json('pending', 'machine', 'list');
    const me = list.find((m: { id: string }) => m.id === ids['pending']);
    assert.equal(me.status, 'admitted');
    assert.equal(me.admittedBy, `admit by ${ids['admin']}`);
  });

  test('an invitation admits at once; a member that is not an admin cannot invite', async () => {
    const token = (await ok('admin', 'cluster', 'invite', '--role', 'replica', '--expires', '1h')).trim();
    ids['invited'] = JSON.parse(await init('invited', '--token', token)).id;
    await ok('invited', 'sync', 'now');
    const members = await json('admin', 'cluster', 'members');
    const invited = members.find((m: { id: string }) => m.id === ids['invited']);
    assert.deepEqual([invited.status, invited.role], ['admitted', 'replica']);
    const refused = await runCli(['cluster', 'invite'], env('invited'));
    assert.equal(refused.code, 10);
    assert.match(refused.stderr, /not an admin/);
    const reused = await runCli(
      [
        'machine',
        'init',
        '--name',
        'again',
        '--store',
        `local:${store}`,
        ...FAST_KDF,
        '--token',
        'tgfs-invite-1.garbage',
      ],
      env('again'),
    );
    assert.equal(reused.code, 1);
    assert.match(reused.stderr, /not an invitation token/);
  });

  test('an expired token is refused at init, and a join without one explains how admission works', async () => {
    const token = (await ok('admin', 'cluster', 'invite', '--expires', '1s')).trim();
    await new Promise((r) => setTimeout(r, 1500));
    const late = await runCli(
      ['machine', 'init', '--name', 'late', '--store', `local:${store}`, ...FAST_KDF, '--token', token],
      env('late'),
    );
    assert.equal(late.code, 1);
    assert.match(late.stderr, /the invitation expired at .*: ask an admin for a new one/);
    const bare = await runCli(['cluster', 'join', 'home-lab'], env('pending'));
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /cluster admit/);
  });

  test('cluster remove marks the machine removed on every machine', async () => {
    await ok('admin', 'cluster', 'remove', ids['invited']!);
    await ok('pending', 'sync', 'now');
    const list = await json('pending', 'machine', 'list');
    assert.equal(list.find((m: { id: string }) => m.id === ids['invited']).status, 'removed');
    const status = await json('pending', 'cluster', 'status');
    assert.deepEqual(status.members, { admitted: 2, pending: 0, removed: 1 });
  });
});
