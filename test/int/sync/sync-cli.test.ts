import assert from 'node:assert/strict';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FAST_KDF, runCli } from '../../helpers/run-cli.js';

describe('tgcryptfs sync and rebuild on the command line', () => {
  let root: string;
  let store: string;
  const env = (home: string, password = 'correct horse') => ({
    TGCRYPTFS_HOME: join(root, home),
    TGCRYPTFS_PASSWORD: password,
  });
  const json = async (args: string[], home: string) => {
    const r = await runCli(args, env(home));
    assert.deepEqual([r.code, r.stderr], [0, ''], `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tgfs-sync-cli-'));
    store = join(root, 'store');
    const init = (name: string, ...extra: string[]) =>
      runCli(
        ['machine', 'init', '--name', name, '--store', `local:${store}`, ...FAST_KDF, ...extra],
        env(name),
      );
    assert.equal((await init('a')).code, 0);
    // b joins a's cluster with a's invitation (without one its events would wait for `cluster admit`).
    const invite = await runCli(['cluster', 'invite', '--json'], env('a'));
    assert.equal(invite.code, 0, invite.stderr);
    const r = await init('b', '--token', JSON.parse(invite.stdout).token);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('status before any sync shows the pending MachineJoined and ClusterCreated, and no push yet', async () => {
    const s = await json(['sync', 'status', '--json'], 'a');
    assert.equal(s.pending.events, 2);
    assert.equal(s.lastPush, null);
    assert.deepEqual(s.rejected, []);
  });

  test('sync now pushes on one machine and pulls on the other; status and history say so', async () => {
    assert.equal((await runCli(['namespace', 'create', 'photos'], env('a'))).code, 0);
    const pushed = await json(['sync', 'now', '--json'], 'a');
    assert.equal(pushed.push.events, 3);
    const pulled = await json(['sync', 'now', '--json'], 'b');
    assert.equal(pulled.pull.events, 3);
    const list = await json(['namespace', 'list', '--json'], 'b');
    assert.deepEqual(
      list.map((n: { name: string }) => n.name),
      ['photos'],
    );

    const status = await json(['sync', 'status', '--json'], 'b');
    assert.equal(status.pending.events, 0);
    assert.notEqual(status.lastPull, null);
    assert.equal(status.pulledEvents, 3);
    assert.equal(status.floodWait, null);

    const history = await json(['sync', 'history', '--json'], 'b');
    const rows = history.map((e: Record<string, string>) => [
      e['direction'],
      e['authorName'],
      e['type'],
      e['path'],
    ]);
    assert.deepEqual(rows, [
      ['push', 'b', 'MachineJoined', 'b'],
      ['pull', 'a', 'MachineJoined', 'a'],
      ['pull', 'a', 'ClusterCreated', 'default'],
      ['pull', 'a', 'NamespaceCreated', 'photos'],
    ]);
    const text = await runCli(['sync', 'history'], env('b'));
    assert.match(text.stdout, /pull +a +NamespaceCreated +\(cluster\):photos\n$/);
  });

  test('rebuild with a wrong password says so, exits 3 and writes nothing', async () => {
    const r = await runCli(['rebuild', '--store', `local:${store}`], env('lost', 'wrong password'));
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^tgcryptfs: wrong password/);
    await assert.rejects(access(join(root, 'lost')), 'the home was not created');
  });

  test('rebuild into an empty home recovers the cluster under a new identity', async () => {
    await runCli(['sync', 'now'], env('b'));
    const r = await runCli(['rebuild', '--store', `local:${store}`, '--name', 'phoenix', '--json'], env('c'));
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.namespaces, ['photos']);
    assert.equal(report.machine.name, 'phoenix');
    // Two machines are still in the cluster: nothing is taken over without --replace.
    assert.equal(report.replaced, null);
    const me = (await json(['machine', 'list', '--json'], 'c')).find(
      (m: { name: string }) => m.name === 'phoenix',
    );
    assert.deepEqual([me.status, me.admittedBy], ['admitted', 'password']);
    assert.deepEqual([report.pull.rejected, report.pull.held], [[], []]);
    assert.notEqual(report.snapshot, null, 'the snapshot written by an earlier sync was found');
    assert.deepEqual(report.snapshot.missing, []);
    const list = await json(['namespace', 'list', '--json'], 'c');
    assert.deepEqual(
      list.map((n: { name: string }) => n.name),
      ['photos'],
    );
    // The new machine announced itself: a sees it after its next pull.
    await runCli(['sync', 'now'], env('a'));
    const history = await json(['sync', 'history', '--json'], 'a');
    assert.ok(
      history.some(
        (e: Record<string, string>) => e['type'] === 'MachineJoined' && e['authorName'] === 'phoenix',
      ),
    );
  });

  test('rebuild refuses a home that already holds a machine', async () => {
    const before = await readdir(join(root, 'a'));
    const r = await runCli(['rebuild', '--store', `local:${store}`], env('a'));
    assert.equal(r.code, 5);
    assert.match(r.stderr, /already holds a home/);
    assert.deepEqual(await readdir(join(root, 'a')), before);
  });
});
