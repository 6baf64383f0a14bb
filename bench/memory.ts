/**
 * Memory (issue 11): the mount daemon's peak resident memory (VmHWM in /proc/<pid>/status, reset through
 * clear_refs before each workload) while writing a large file, a sparse file written at its end, and a tree of
 * many small files. The baseline is the same daemon's resident memory, idle, just before the workload.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIB } from './fixtures.js';
import { daemonPids, tgcryptfsInit, tgcryptfsMount, tgcryptfsUnmount } from './mounts.js';
import { type BenchOptions, selected } from './options.js';
import type { GroupResult, Row } from './report.js';
import { log, q, shOk } from './shell.js';

/** The bound for every workload. */
const GOAL_MB = 300;

async function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  if (kb === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kb);
}

export async function memoryGroup(opts: BenchOptions, work: string): Promise<GroupResult> {
  const bigBytes = opts.quick ? 256 * MIB : 4096 * MIB;
  const files = opts.quick ? 5_000 : 100_000;
  const home = join(work, 'memory-home');
  const mnt = join(work, 'memory-mnt');
  const rows: Row[] = [];
  await tgcryptfsInit(home);

  /** Mounts, runs `script`, and returns the daemon's idle and peak resident MB; unmounts after. */
  const measure = async (script: string): Promise<{ idleMb: number; peakMb: number }> => {
    await tgcryptfsMount(home, mnt, opts.profileDir);
    try {
      const [pid] = await daemonPids(home);
      if (pid === undefined) throw new Error(`no mount daemon recorded under ${home}/mounts`);
      await writeFile(`/proc/${pid}/clear_refs`, '5');
      const idleMb = (await statusKb(pid, 'VmRSS')) / 1024;
      await shOk(script, { timeoutMs: 60 * 60_000 });
      return { idleMb, peakMb: (await statusKb(pid, 'VmHWM')) / 1024 };
    } finally {
      await tgcryptfsUnmount(home, mnt);
    }
  };
  const row = (id: string, label: string, m: { idleMb: number; peakMb: number }, note: string): Row => ({
    id,
    label,
    unit: 'MB',
    better: 'lower',
    tgcryptfs: Math.round(m.peakMb),
    baseline: Math.round(m.idleMb),
    goal: { kind: 'below', value: GOAL_MB },
    note,
  });

  if (selected(opts, 'memory.write-4gib')) {
    const size = bigBytes >= 1024 * MIB ? `${bigBytes / (1024 * MIB)} GiB` : `${bigBytes / MIB} MiB`;
    log(`memory: writing ${size}`);
    const m = await measure(
      `head -c ${bigBytes} /dev/urandom | dd of=${q(join(mnt, 'big.bin'))} bs=1M iflag=fullblock conv=fsync status=none`,
    );
    rows.push(
      row('memory.write-4gib', `peak RSS writing a ${size} file`, m, 'dd of random bytes, conv=fsync'),
    );
  }
  if (selected(opts, 'memory.sparse-10gib')) {
    log('memory: 1 MiB at the end of a 10 GiB sparse file');
    const m = await measure(
      `dd if=/dev/urandom of=${q(join(mnt, 'sparse.bin'))} bs=1M count=1 seek=10239 conv=notrunc,fsync status=none`,
    );
    rows.push(
      row(
        'memory.sparse-10gib',
        'peak RSS writing a 10 GiB sparse file at its end',
        m,
        '1 MiB at 10 GiB − 1 MiB',
      ),
    );
  }
  if (selected(opts, 'memory.tree-100k')) {
    log(`memory: a tree of ${files} small files`);
    // 100 directories filled by 8 writers at once (their closes group-commit), then the whole tree listed.
    const make = join(work, 'fixtures', 'make-tree.sh');
    await shOk(`mkdir -p ${q(join(work, 'fixtures'))}`);
    await writeFile(
      make,
      `d="$1/d$2"; mkdir -p "$d"; for i in $(seq 1 ${files / 100}); do printf 'file %s\\n' "$i" > "$d/f$i"; done\n`,
    );
    const m = await measure(
      `mkdir -p ${q(join(mnt, 'tree'))} && seq 1 100 | xargs -P 8 -I{} sh ${q(make)} ${q(join(mnt, 'tree'))} {} && ls -lR ${q(join(mnt, 'tree'))} > /dev/null`,
    );
    rows.push(
      row(
        'memory.tree-100k',
        `peak RSS with ${files} small files in the tree`,
        m,
        'created by 8 writers, then ls -lR',
      ),
    );
  }
  return {
    id: 'memory',
    title: 'Memory (issue 11)',
    baselineMeaning: 'the same mount, idle, just before the workload',
    rows,
    notes: [],
  };
}
