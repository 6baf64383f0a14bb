/**
 * Differential test: the same seeded random sequence of writes at offsets, truncates (some far past the end),
 * fallocate (mode 0 and KEEP_SIZE), mkdirs, renames (over files and directories too) and removals on a plain
 * directory and on the mount gives the same outcomes and the same tree, before and after a remount.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { linkGroups, manifest, mountSuite, q, sh } from './harness/index.js';

const SCRIPT = fileURLToPath(new URL('../../../test/mount/fixtures/random-ops.mjs', import.meta.url));

describe('random operations against a plain directory', () => {
  const suite = mountSuite({ name: 'differential' });
  before(() => suite.start());

  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}: same outcomes and the same tree`, async () => {
      const plain = `${suite.plain}/s${seed}`;
      const mounted = `${suite.mountpoint}/s${seed}`;
      const r = await sh(
        `mkdir ${q(plain)} ${q(mounted)} && ${q(process.execPath)} ${q(SCRIPT)} ${seed} 150 ${q(plain)} ${q(mounted)}`,
        {
          timeoutMs: 300_000,
        },
      );
      assert.equal(r.code, 0, r.stderr);
      const options = { dirSizes: false, mtime: 'none' } as const;
      assert.equal(await manifest(mounted, options), await manifest(plain, options));
    });
  }

  test('the trees are the same after a remount', async () => {
    await suite.remount();
    const options = { dirSizes: false, mtime: 'none' } as const;
    for (const seed of [1, 2, 3]) {
      assert.equal(
        await manifest(`${suite.mountpoint}/s${seed}`, options),
        await manifest(`${suite.plain}/s${seed}`, options),
      );
    }
  });
});

describe('random operations with hard links and FIFOs against a plain directory', () => {
  const suite = mountSuite({ name: 'differential-links' });
  before(() => suite.start());
  const options = { dirSizes: false, mtime: 'none' } as const;
  const seeds = [12, 15];
  /**
   * Each name of a hard-linked file is its own kernel inode under libfuse's path API, whose attributes the
   * kernel caches for a second: a write through one name leaves the others showing (and reading up to) the old
   * size until then (docs/posix.md). A forced stat of every name refreshes them; a remount below needs none.
   */
  const refresh = (dir: string) =>
    sh(`find ${q(dir)} -mindepth 1 -not -type d -print0 | xargs -0 -r stat --cached=never > /dev/null`);

  for (const seed of seeds) {
    test(`seed ${seed}: same outcomes, the same tree and the same names sharing inodes`, async () => {
      const plain = `${suite.plain}/s${seed}`;
      const mounted = `${suite.mountpoint}/s${seed}`;
      const r = await sh(
        `mkdir ${q(plain)} ${q(mounted)} && ${q(process.execPath)} ${q(SCRIPT)} --links ${seed} 150 ${q(plain)} ${q(mounted)}`,
        { timeoutMs: 300_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      await refresh(mounted);
      assert.equal(await manifest(mounted, options), await manifest(plain, options));
      assert.equal(await linkGroups(mounted), await linkGroups(plain));
    });
  }

  test('the trees and their hard links are the same after a remount', async () => {
    await suite.remount();
    for (const seed of seeds) {
      assert.equal(
        await manifest(`${suite.mountpoint}/s${seed}`, options),
        await manifest(`${suite.plain}/s${seed}`, options),
      );
      assert.equal(
        await linkGroups(`${suite.mountpoint}/s${seed}`),
        await linkGroups(`${suite.plain}/s${seed}`),
      );
    }
  });
});
