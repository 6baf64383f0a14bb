/**
 * `npm run bench`: runs the benchmark groups, prints one table per group and writes bench/results/latest.json.
 * Figures are compared with baselines measured in the same run; nothing is asserted.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { TgfsError } from '../src/errors.js';
import { eventCoreGroup } from './event-core.js';
import { filesystemGroup } from './filesystem.js';
import { memoryGroup } from './memory.js';
import { cleanupAllMounts, detachLeftovers } from './mounts.js';
import { type BenchOptions, parseOptions, selected, USAGE } from './options.js';
import { REPO_ROOT } from './paths.js';
import { type GroupResult, goalMet, markdownLines, relativeSpeed, tableLines } from './report.js';
import { log } from './shell.js';
import { storeGroup } from './store.js';

interface GroupDef {
  readonly id: string;
  readonly ids: readonly string[];
  run(opts: BenchOptions, work: string): Promise<GroupResult>;
}

const GROUPS: readonly GroupDef[] = [
  {
    id: 'event',
    ids: ['event.emit', 'event.append-single', 'event.append', 'event.replay', 'event.fold', 'event.unlock'],
    run: eventCoreGroup,
  },
  {
    id: 'fs',
    ids: ['fs.seq-write', 'fs.seq-read', 'fs.create-small', 'fs.tar-x', 'fs.ls-lR', 'fs.find'],
    run: filesystemGroup,
  },
  {
    id: 'store',
    ids: ['store.msgs-10k', 'store.msgs-1gib', 'store.rebuild', 'store.idle-sync'],
    run: storeGroup,
  },
  {
    id: 'memory',
    ids: ['memory.write-4gib', 'memory.sparse-10gib', 'memory.tree-100k'],
    run: memoryGroup,
  },
];

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2), join(REPO_ROOT, 'bench', 'results', 'latest.json'));
  if (parsed === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (parsed === 'list') {
    for (const g of GROUPS) console.log(`${g.id}: ${g.ids.join(' ')}`);
    return 0;
  }
  const opts = parsed;
  const groups = GROUPS.filter((g) => g.ids.some((id) => selected(opts, id)) || selected(opts, g.id));
  if (groups.length === 0)
    throw new TgfsError('INVALID_ARGUMENT', `--only ${opts.only.join(',')} matches no benchmark`);
  const work = opts.dir === undefined ? await mkdtemp(join(tmpdir(), 'tgcryptfs-bench-')) : resolve(opts.dir);
  await mkdir(work, { recursive: true });
  log(`work directory ${work}${opts.quick ? ' (quick sizes)' : ''}`);
  const started = new Date();
  const results: GroupResult[] = [];
  const stop = () => {
    log('interrupted: unmounting');
    void cleanupAllMounts().finally(() => process.exit(130));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    for (const g of groups) {
      const t0 = performance.now();
      try {
        const r = await g.run(opts, work);
        results.push(r);
        console.log(`\n${tableLines(r).join('\n')}`);
      } catch (err) {
        log(`group ${g.id} failed: ${(err as Error).stack ?? String(err)}`);
        results.push({
          id: g.id,
          title: g.id,
          baselineMeaning: '',
          rows: [],
          notes: [`failed: ${(err as Error).message}`],
        });
      } finally {
        await cleanupAllMounts();
      }
      log(`group ${g.id} took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await cleanupAllMounts();
    const leftovers = await detachLeftovers(work);
    if (leftovers.length > 0) log(`detached leftover mounts: ${leftovers.join(', ')}`);
    // Never delete through a mount: a leftover that refused to go keeps the work directory.
    const clean = leftovers.length === 0 || (await detachLeftovers(work)).length === 0;
    if (clean && !opts.keep && opts.dir === undefined) await rm(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
  const seconds = (Date.now() - started.getTime()) / 1000;
  await writeResults(opts, results, started, seconds);
  console.log(
    `\nratio = relative speed of tgcryptfs vs baseline / vs gocryptfs (above 1 = tgcryptfs better)`,
  );
  console.log(`total ${seconds.toFixed(0)} s; results in ${opts.json}`);
  return results.some((r) => r.rows.length === 0) ? 1 : 0;
}

async function writeResults(opts: BenchOptions, results: GroupResult[], started: Date, seconds: number) {
  const doc = {
    date: started.toISOString(),
    durationSeconds: Math.round(seconds),
    quick: opts.quick,
    only: opts.only,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    groups: results.map((g) => ({
      ...g,
      rows: g.rows.map((r) => ({
        ...r,
        vsBaseline: relativeSpeed(r, r.baseline),
        vsGocryptfs: relativeSpeed(r, r.gocryptfs),
        goalMet: goalMet(r),
      })),
      markdown: markdownLines(g).join('\n'),
    })),
  };
  await mkdir(dirname(opts.json), { recursive: true });
  await writeFile(opts.json, `${JSON.stringify(doc, null, 2)}\n`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (err) => {
    await cleanupAllMounts();
    if (err instanceof TgfsError) process.stderr.write(`bench: ${err.message}\n`);
    else process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
