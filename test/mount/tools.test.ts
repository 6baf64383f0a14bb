/** Real programs on a real mount: tar of a source tree, git, sqlite3. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { hasCommand, mountSuite, q, REPO_ROOT, sh, shOk } from './harness/index.js';

// ~2,400 entries, 12 MB of TypeScript and JavaScript: a realistic small-file workload that is always installed.
const SOURCE_PARENT = `${REPO_ROOT}/node_modules`;
const SOURCE_NAME = 'rxjs';

describe('tools on a mount', () => {
  const suite = mountSuite({ name: 'tools', namespace: 'tools' });
  const m = (path = '') => `${suite.mountpoint}/${path}`;

  before(() => suite.start());

  test('tar x of a source tree reproduces it byte for byte (diff -r), also after a remount', async () => {
    const tarball = `${suite.plain}/src.tar`;
    await shOk(`tar -C ${q(SOURCE_PARENT)} -cf ${q(tarball)} ${SOURCE_NAME}`);
    await shOk(`mkdir ${q(m('unpacked'))} && tar -C ${q(m('unpacked'))} -xf ${q(tarball)}`);
    const original = `${SOURCE_PARENT}/${SOURCE_NAME}`;
    const copy = m(`unpacked/${SOURCE_NAME}`);
    await shOk(`diff -r --no-dereference ${q(original)} ${q(copy)}`);
    const count = (dir: string) => shOk(`find ${q(dir)} | wc -l`);
    assert.equal(await count(copy), await count(original));

    await suite.remount();
    await shOk(`diff -r --no-dereference ${q(original)} ${q(copy)}`);
  });

  test('git init, add, commit twice and fsck inside the mount', async () => {
    const git = 'git -c user.name=Test -c user.email=test@example.com -c init.defaultBranch=main';
    await shOk(`
      set -e
      mkdir ${q(m('repo'))}
      cd ${q(m('repo'))}
      ${git} init -q
      cp -r ${q(`${SOURCE_PARENT}/${SOURCE_NAME}/src/internal/operators`)} .
      ${git} add .
      ${git} commit -q -m first
      printf 'changed\\n' >> operators/map.ts
      rm operators/filter.ts
      ${git} commit -q -a -m second
      ${git} fsck --full --strict
      ${git} gc -q
      ${git} fsck --full --strict
    `);
    const repo = q(m('repo'));
    assert.equal((await shOk(`git -C ${repo} rev-list --count HEAD`)).trim(), '2');
    assert.equal(
      await shOk(`git -C ${repo} status --porcelain`),
      '',
      'the work tree matches the last commit',
    );
  });

  test('sqlite3: 1000 rows in a transaction pass integrity_check', async (t) => {
    if (!(await hasCommand('sqlite3'))) {
      t.skip('sqlite3 not installed');
      return;
    }
    const db = q(m('test.db'));
    const out = await shOk(`sqlite3 ${db} "
      CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);
      CREATE INDEX t_v ON t(v);
      BEGIN;
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000)
        INSERT INTO t(v) SELECT hex(randomblob(64)) FROM c;
      COMMIT;
      DELETE FROM t WHERE id % 3 = 0;
      PRAGMA integrity_check;
      SELECT count(*) FROM t;"`);
    assert.equal(out, 'ok\n667\n');
    const again = await sh(`sqlite3 ${db} "PRAGMA integrity_check; SELECT count(*) FROM t;"`);
    assert.equal(again.stdout, 'ok\n667\n', again.stderr);
  });
});
