/** While a mount holds the home, the CLI's namespace commands are served by the mount over its control socket. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { mountSuite, runCli } from './harness/index.js';

describe('namespace commands while mounted', () => {
  const suite = mountSuite({ name: 'control' });
  const env = () => ({ home: suite.home, password: suite.password });

  before(() => suite.start());

  test('namespace create and list work through the running mount, with the usual errors', async () => {
    const created = await runCli(env(), ['namespace', 'create', 'photos', '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).name, 'photos');

    const again = await runCli(env(), ['namespace', 'create', 'photos']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'tgcryptfs: namespace photos already exists\n');

    const listed = await runCli(env(), ['namespace', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { name: string }[]).map((n) => n.name),
      ['default', 'photos'],
    );
  });

  test('what the mount created is in the home after it stops', async () => {
    await suite.stop();
    const listed = await runCli(env(), ['namespace', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as { name: string }[]).some((n) => n.name === 'photos'));
  });
});
