import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { machineIdOf } from '../../../src/crypto/ids.js';
import { FAST_KDF, runCli } from '../../helpers/run-cli.js';

const roots: string[] = [];
async function newHome(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tgfs-cli-'));
  roots.push(root);
  return join(root, 'home');
}
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

describe('tgcryptfs CLI', () => {
  let home: string;
  let env: Record<string, string>;

  before(async () => {
    home = await newHome();
    env = { TGCRYPTFS_HOME: home, TGCRYPTFS_PASSWORD: 'correct horse' };
    const init = await runCli(['machine', 'init', '--name', 'laptop', '--json', ...FAST_KDF], env);
    assert.equal(init.stderr, '');
    assert.equal(init.code, 0);
    const identity = JSON.parse(init.stdout) as Record<string, string>;
    assert.equal(identity['name'], 'laptop');
    assert.match(identity['publicKey']!, /^[0-9a-f]{64}$/);
    // A UUID version 8 derived from the key: the id cannot be claimed with another key.
    assert.equal(identity['id'], machineIdOf(Buffer.from(identity['publicKey']!, 'hex')));
    assert.match(identity['id']!, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(identity['store'], `local:${join(home, 'store')}`);
  });

  test('machine show prints the identity init created, without a password', async () => {
    const shown = await runCli(['machine', 'show', '--json'], { TGCRYPTFS_HOME: home });
    assert.equal(shown.code, 0);
    assert.equal(shown.stderr, '');
    const m = JSON.parse(shown.stdout) as Record<string, string>;
    assert.equal(m['name'], 'laptop');
    assert.equal(m['home'], home);
    const text = await runCli(['machine', 'show'], { TGCRYPTFS_HOME: home });
    assert.equal(text.code, 0);
    assert.match(text.stdout, new RegExp(`machine +laptop \\(${m['id']}\\)`));
  });

  test('namespaces created are listed, in text and as JSON', async () => {
    const a = await runCli(['namespace', 'create', 'photos', '--type', 'standalone'], env);
    assert.deepEqual([a.code, a.stderr], [0, '']);
    assert.match(a.stdout, /^created namespace photos \([0-9a-f]{32}\), standalone\n$/);
    const b = await runCli(['namespace', 'create', 'shared', '--type', 'distributed', '--json'], env);
    assert.equal(b.code, 0);
    assert.equal(JSON.parse(b.stdout).mode, 'distributed');
    const list = await runCli(['namespace', 'list', '--json'], env);
    assert.deepEqual([list.code, list.stderr], [0, '']);
    const names = (JSON.parse(list.stdout) as { name: string; mode: string }[]).map((n) => [n.name, n.mode]);
    assert.deepEqual(names, [
      ['photos', 'standalone'],
      ['shared', 'distributed'],
    ]);
    const text = await runCli(['namespace', 'list'], env);
    assert.match(
      text.stdout,
      /^NAME +MODE +ID\nphotos +standalone +[0-9a-f]{32}\nshared +distributed +[0-9a-f]{32}\n$/,
    );
  });

  test('a duplicate namespace name is refused with one line', async () => {
    await runCli(['namespace', 'create', 'dup'], env);
    const again = await runCli(['namespace', 'create', 'dup'], env);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, '');
    assert.equal(again.stderr, 'tgcryptfs: namespace dup already exists\n');
  });

  test('an unknown namespace type is refused, naming the type', async () => {
    const r = await runCli(['namespace', 'create', 'x', '--type', 'sharded'], env);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^tgcryptfs: unknown namespace type sharded: expected standalone, master-replica, distributed\n$/,
    );
  });

  test('a wrong password exits 3 with one line and changes nothing', async () => {
    const before = await runCli(['namespace', 'list', '--json'], env);
    const wrong = await runCli(['namespace', 'create', 'sneaky'], { ...env, TGCRYPTFS_PASSWORD: 'wrong' });
    assert.equal(wrong.code, 3);
    assert.equal(wrong.stdout, '');
    assert.match(wrong.stderr, /^tgcryptfs: wrong password[^\n]*\n$/);
    const afterList = await runCli(['namespace', 'list', '--json'], env);
    assert.equal(afterList.stdout, before.stdout);
    // The refused command left no trace: the name is still free.
    const right = await runCli(['namespace', 'create', 'sneaky'], env);
    assert.equal(right.code, 0, right.stderr);
  });

  test('the password can come from --password-file', async () => {
    const file = join(home, '..', 'pw');
    await writeFile(file, 'correct horse\n');
    const r = await runCli(['namespace', 'list', '--json', '--password-file', file], {
      TGCRYPTFS_HOME: home,
    });
    assert.equal(r.code, 0);
    assert.ok(Array.isArray(JSON.parse(r.stdout)));
  });

  test('no password and no terminal: a clear error, not a hang', async () => {
    const r = await runCli(['namespace', 'list'], { TGCRYPTFS_HOME: home });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^tgcryptfs: no password: set TGCRYPTFS_PASSWORD/);
  });

  test('initialising a home twice is refused and keeps the first machine', async () => {
    const shown = JSON.parse((await runCli(['machine', 'show', '--json'], env)).stdout) as { id: string };
    const r = await runCli(['machine', 'init', '--name', 'other', ...FAST_KDF], env);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /already holds a machine/);
    const again = JSON.parse((await runCli(['machine', 'show', '--json'], env)).stdout) as { id: string };
    assert.equal(again.id, shown.id);
  });

  test('commands on a home that was never initialised say so', async () => {
    const r = await runCli(['namespace', 'list'], {
      TGCRYPTFS_HOME: await newHome(),
      TGCRYPTFS_PASSWORD: 'x',
    });
    assert.equal(r.code, 5);
    assert.match(r.stderr, /^tgcryptfs: no config at .*config\.yaml: run `tgcryptfs machine init` first\n$/);
  });

  test('a malformed config is reported with the offending key', async () => {
    const other = await newHome();
    const e = { TGCRYPTFS_HOME: other, TGCRYPTFS_PASSWORD: 'pw' };
    assert.equal((await runCli(['machine', 'init', '--name', 'm', ...FAST_KDF], e)).code, 0);
    const configFile = join(other, 'config.yaml');
    const text = await readFile(configFile, 'utf8');
    await writeFile(configFile, text.replace(/max_size_gb: 1/, 'max_size_gb: lots'));
    const r = await runCli(['namespace', 'list'], e);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tgcryptfs: .*config\.yaml: cache\.max_size_gb: /);
  });

  test('a second machine on a shared store must know the cluster password', async () => {
    const store = join(await newHome(), '..', 'shared-store');
    const first = { TGCRYPTFS_HOME: await newHome(), TGCRYPTFS_PASSWORD: 'cluster pw' };
    assert.equal(
      (await runCli(['machine', 'init', '--name', 'a', '--store', `local:${store}`, ...FAST_KDF], first))
        .code,
      0,
    );
    const intruderHome = await newHome();
    const bad = await runCli(['machine', 'init', '--name', 'b', '--store', `local:${store}`, ...FAST_KDF], {
      TGCRYPTFS_HOME: intruderHome,
      TGCRYPTFS_PASSWORD: 'guess',
    });
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /^tgcryptfs: wrong password/);
    await assert.rejects(readFile(join(intruderHome, 'config.yaml')), 'no home was created');
    const good = await runCli(['machine', 'init', '--name', 'b', '--store', `local:${store}`], {
      TGCRYPTFS_HOME: intruderHome,
      TGCRYPTFS_PASSWORD: 'cluster pw',
    });
    assert.equal(good.code, 0, good.stderr);
  });

  test('an unknown command prints usage and exits non-zero', async () => {
    const r = await runCli(['frobnicate'], env);
    assert.notEqual(r.code, 0);
  });
});
