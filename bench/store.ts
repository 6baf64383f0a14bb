/**
 * Store (issue 4): how many messages a workload costs in the message store. Counted as files in the local
 * store's msg/ directory before the workload and after the unmount that pushes it.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MIB, randomFile, smallTree } from './fixtures.js';
import { tgcryptfsInit, tgcryptfsMount, tgcryptfsUnmount } from './mounts.js';
import { type BenchOptions, selected } from './options.js';
import type { GroupResult, Row } from './report.js';
import { log, q, shOk } from './shell.js';
import { idleSyncRow, rebuildRow } from './store-sync.js';

/** FastCDC's average chunk: what one message per chunk would cost. */
const AVG_CHUNK_BYTES = MIB;

export async function storeGroup(opts: BenchOptions, work: string): Promise<GroupResult> {
  const smallFiles = opts.quick ? 1_000 : 10_000;
  const bigBytes = opts.quick ? 128 * MIB : 1024 * MIB;
  const home = join(work, 'store-home');
  const mnt = join(work, 'store-mnt');
  const msgDir = join(home, 'store', 'msg');
  const count = async () =>
    (await readdir(msgDir).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).length;
  const rows: Row[] = [];
  const notes: string[] = [];

  await tgcryptfsInit(home);
  // The first mount creates the `default` namespace; its messages are not the workload's.
  await tgcryptfsMount(home, mnt, opts.profileDir);
  await tgcryptfsUnmount(home, mnt);

  /** Mounts, runs the workload, unmounts (which pushes) and returns the messages added meanwhile. */
  const measure = async (script: string): Promise<number> => {
    await tgcryptfsMount(home, mnt, opts.profileDir);
    const before = await count();
    try {
      await shOk(script);
      log(`store: ${(await count()) - before} messages before the unmount push`);
    } finally {
      await tgcryptfsUnmount(home, mnt);
    }
    return (await count()) - before;
  };

  if (selected(opts, 'store.msgs-10k')) {
    const src = await smallTree(work, smallFiles);
    log(`store: ${smallFiles} small files`);
    const n = await measure(`cp -r ${q(src)} ${q(join(mnt, 'small'))}`);
    rows.push({
      id: 'store.msgs-10k',
      label: `messages per ${smallFiles} × 4 KiB files`,
      unit: 'msgs',
      better: 'lower',
      tgcryptfs: n,
      baseline: smallFiles,
      goal: opts.quick ? undefined : { kind: 'at-most', value: 20 },
      note: 'baseline: one message per file',
    });
  }
  if (selected(opts, 'store.msgs-1gib')) {
    const big = await randomFile(work, bigBytes);
    log(`store: one ${bigBytes / MIB} MiB file`);
    const n = await measure(`dd if=${q(big)} of=${q(join(mnt, 'big.bin'))} bs=1M conv=fsync status=none`);
    rows.push({
      id: 'store.msgs-1gib',
      label: `messages per ${bigBytes >= 1024 * MIB ? `${bigBytes / (1024 * MIB)} GiB` : `${bigBytes / MIB} MiB`} file`,
      unit: 'msgs',
      better: 'lower',
      tgcryptfs: n,
      baseline: Math.ceil(bigBytes / AVG_CHUNK_BYTES),
      note: 'baseline: one message per chunk at FastCDC’s 1 MiB average',
    });
  }
  if (selected(opts, 'store.rebuild') || selected(opts, 'store.idle-sync')) {
    const events = opts.quick ? 10_000 : 100_000;
    const rebuild = await rebuildRow(work, events);
    if (selected(opts, 'store.rebuild')) rows.push(rebuild);
    if (selected(opts, 'store.idle-sync')) rows.push(await idleSyncRow(work));
  }
  return {
    id: 'store',
    title: 'Store (issue 4)',
    baselineMeaning: 'a store without packing (one message per file or per chunk)',
    rows,
    notes,
  };
}
