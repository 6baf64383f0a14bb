/**
 * Filesystem (issue 3): the same workload on a tgcryptfs mount, a plain directory on the same disk (the
 * baseline) and a gocryptfs mount. Every operation is a child process (dd, cp, tar, ls, find); durability is
 * part of each figure (dd conv=fsync; `sync` after cp and tar).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MIB, randomFile, smallTree, tarFixture } from './fixtures.js';
import {
  gocryptfsInit,
  gocryptfsMount,
  gocryptfsUnmount,
  tgcryptfsInit,
  tgcryptfsMount,
  tgcryptfsUnmount,
} from './mounts.js';
import { type BenchOptions, selected } from './options.js';
import type { GroupResult, Row } from './report.js';
import { dropCaches, hasCommand, log, q, sh, shOk } from './shell.js';

type TargetName = 'tgcryptfs' | 'baseline' | 'gocryptfs';

interface Target {
  readonly name: TargetName;
  /** The directory the workload runs in. */
  readonly root: string;
  setup(): Promise<void>;
  /** Makes the next access cold: remount (FUSE targets) and drop the kernel's caches. */
  cold(): Promise<void>;
  teardown(): Promise<void>;
}

interface Sizes {
  readonly bigBytes: number;
  readonly smallFiles: number;
  readonly tarEntries: number;
}

const FULL: Sizes = { bigBytes: 1024 * MIB, smallFiles: 10_000, tarEntries: 4_000 };
const QUICK: Sizes = { bigBytes: 128 * MIB, smallFiles: 1_000, tarEntries: 1_000 };

type Results = Map<string, number>;

export async function filesystemGroup(opts: BenchOptions, work: string): Promise<GroupResult> {
  const sizes = opts.quick ? QUICK : FULL;
  const notes: string[] = [];
  const want = (id: string) => selected(opts, id);
  const plan = {
    write: want('fs.seq-write') || want('fs.seq-read'),
    read: want('fs.seq-read'),
    small: want('fs.create-small') || want('fs.ls-lR') || want('fs.find'),
    tar: want('fs.tar-x') || want('fs.ls-lR') || want('fs.find'),
    ls: want('fs.ls-lR'),
    find: want('fs.find'),
  };

  const big = plan.write ? await randomFile(work, sizes.bigBytes) : '';
  const small = plan.small ? await smallTree(work, sizes.smallFiles) : '';
  const tar = plan.tar ? await tarFixture(work, sizes.tarEntries) : { path: '', entries: 0 };

  const targets: Target[] = [plainTarget(work)];
  const goc = await ensureGocryptfs(opts, notes);
  if (goc) targets.push(gocryptfsTarget(work));
  targets.push(tgcryptfsTarget(work, opts.profileDir));

  const results = new Map<TargetName, Results>();
  let entries = 0;
  for (const t of targets) {
    const r: Results = new Map();
    results.set(t.name, r);
    const step = async (id: string, f: () => Promise<number>) => {
      try {
        // Earlier steps' dirty pages are written back first, so the timed `sync` or fsync flushes only its own.
        await sh('sync');
        r.set(id, await f());
      } catch (err) {
        notes.push(`${t.name} ${id} failed: ${(err as Error).message.slice(0, 300)}`);
        log(`${t.name} ${id} failed: ${(err as Error).message}`);
      }
    };
    log(`fs: ${t.name} in ${t.root}`);
    await t.setup();
    try {
      if (plan.write) {
        await step('fs.seq-write', async () => {
          await shOk(`cat ${q(big)} > /dev/null`);
          const res = await shOk(`dd if=${q(big)} of=${q(join(t.root, 'big.bin'))} bs=1M conv=fsync`);
          return checkedBytes(res.stderr, sizes.bigBytes) / 1e6 / res.seconds;
        });
      }
      if (plan.read) {
        await t.cold();
        await step('fs.seq-read', async () => {
          const res = await shOk(`dd if=${q(join(t.root, 'big.bin'))} of=/dev/null bs=1M`);
          return checkedBytes(res.stderr, sizes.bigBytes) / 1e6 / res.seconds;
        });
      }
      if (plan.small) {
        await step('fs.create-small', async () => {
          const res = await shOk(`cp -r ${q(small)} ${q(join(t.root, 'small'))} && sync`);
          return sizes.smallFiles / res.seconds;
        });
      }
      if (plan.tar) {
        await step('fs.tar-x', async () => {
          const dest = join(t.root, 'tree');
          const res = await shOk(`mkdir ${q(dest)} && tar -xf ${q(tar.path)} -C ${q(dest)} && sync`);
          return tar.entries / res.seconds;
        });
      }
      if (plan.ls) {
        await t.cold();
        await step('fs.ls-lR', async () => {
          const res = await shOk(`ls -lR ${q(t.root)} > /dev/null`);
          entries = await countEntries(t.root);
          return entries / res.seconds;
        });
      }
      if (plan.find) {
        await t.cold();
        await step('fs.find', async () => {
          const res = await shOk(`find ${q(t.root)} | wc -l`);
          entries = Number(res.stdout.trim()) - 1;
          return entries / res.seconds;
        });
      }
    } finally {
      await t.teardown();
    }
  }

  const rows: Row[] = [];
  const row = (id: string, label: string, unit: string, goal: Row['goal']) => {
    if (!want(id)) return;
    rows.push({
      id,
      label,
      unit,
      better: 'higher',
      tgcryptfs: results.get('tgcryptfs')?.get(id),
      baseline: results.get('baseline')?.get(id),
      gocryptfs: goc ? results.get('gocryptfs')?.get(id) : undefined,
      goal,
    });
  };
  const gib =
    sizes.bigBytes >= 1024 * MIB ? `${sizes.bigBytes / (1024 * MIB)} GiB` : `${sizes.bigBytes / MIB} MiB`;
  row('fs.seq-write', `seq write ${gib} (dd bs=1M conv=fsync)`, 'MB/s', { kind: 'vs-gocryptfs', factor: 1 });
  row('fs.seq-read', `seq read ${gib}, cold`, 'MB/s', { kind: 'vs-gocryptfs', factor: 1 });
  row('fs.create-small', `create ${sizes.smallFiles} × 4 KiB files (cp -r; sync)`, 'files/s', undefined);
  row('fs.tar-x', `tar x ${tar.entries} entries (; sync)`, 'entries/s', { kind: 'vs-gocryptfs', factor: 1 });
  row('fs.ls-lR', `ls -lR cold, ${entries} entries`, 'entries/s', { kind: 'vs-gocryptfs', factor: 2 });
  row('fs.find', `find cold, ${entries} entries`, 'entries/s', { kind: 'vs-gocryptfs', factor: 2 });
  return {
    id: 'fs',
    title: 'Filesystem (issue 3)',
    baselineMeaning: 'a plain directory on the same disk; cold = remounted (FUSE) and kernel caches dropped',
    rows,
    notes,
  };
}

/** dd reports what it copied on stderr; a short copy must not pass for a fast one. */
function checkedBytes(ddStderr: string, expected: number): number {
  const m = /^(\d+) bytes/m.exec(ddStderr);
  const n = m === null ? Number.NaN : Number(m[1]);
  if (n !== expected) throw new Error(`dd copied ${n} bytes, expected ${expected}: ${ddStderr.trim()}`);
  return n;
}

async function countEntries(root: string): Promise<number> {
  return Number((await shOk(`find ${q(root)} -mindepth 1 | wc -l`)).stdout.trim());
}

async function coldCaches(): Promise<void> {
  if (!(await dropCaches())) log('could not drop the page cache (not root?): "cold" reads may hit memory');
}

function plainTarget(work: string): Target {
  const root = join(work, 'plain');
  return {
    name: 'baseline',
    root,
    setup: async () => {
      await mkdir(root, { recursive: true });
    },
    cold: coldCaches,
    teardown: async () => {},
  };
}

function gocryptfsTarget(work: string): Target {
  const cipher = join(work, 'gocryptfs-cipher');
  const root = join(work, 'gocryptfs-mnt');
  return {
    name: 'gocryptfs',
    root,
    setup: async () => {
      await gocryptfsInit(cipher);
      await gocryptfsMount(cipher, root);
    },
    cold: async () => {
      await gocryptfsUnmount(root);
      await coldCaches();
      await gocryptfsMount(cipher, root);
    },
    teardown: () => gocryptfsUnmount(root),
  };
}

function tgcryptfsTarget(work: string, profileDir: string | undefined): Target {
  const home = join(work, 'tgcryptfs-home');
  const root = join(work, 'tgcryptfs-mnt');
  return {
    name: 'tgcryptfs',
    root,
    setup: async () => {
      await tgcryptfsInit(home);
      await tgcryptfsMount(home, root, profileDir);
    },
    cold: async () => {
      await tgcryptfsUnmount(home, root).then((s) =>
        log(`tgcryptfs unmount (commit + push) took ${s.toFixed(1)} s`),
      );
      await coldCaches();
      await tgcryptfsMount(home, root, profileDir);
    },
    teardown: async () => {
      await tgcryptfsUnmount(home, root);
    },
  };
}

/** gocryptfs is the reference encrypted FUSE filesystem; install it from Debian when it is missing. */
async function ensureGocryptfs(opts: BenchOptions, notes: string[]): Promise<boolean> {
  if (await hasCommand('gocryptfs')) return true;
  if (opts.noInstall || !(await hasCommand('apt-get')) || process.getuid?.() !== 0) {
    notes.push('gocryptfs is not installed: its column is empty (`apt-get install -y gocryptfs`)');
    return false;
  }
  log('gocryptfs missing: apt-get install -y gocryptfs');
  const r = await sh('DEBIAN_FRONTEND=noninteractive apt-get install -y gocryptfs', {
    timeoutMs: 10 * 60_000,
  });
  if (r.code === 0 && (await hasCommand('gocryptfs'))) {
    notes.push('gocryptfs was missing and the bench installed it (apt-get install -y gocryptfs)');
    return true;
  }
  notes.push(`gocryptfs is missing and apt-get install failed: ${r.stderr.trim().slice(-200)}`);
  return false;
}
