/**
 * Event core (issue 2): signed durable appends with group commit, projection rebuild, and unlock cost.
 */
import { randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { DEFAULT_KDF, deriveMasterKey } from '../src/crypto/kdf.js';
import { EventWriter } from '../src/events/event-writer.js';
import { ZERO_HLC } from '../src/events/hlc.js';
import { OpLog } from '../src/events/op-log.js';
import { generateMachineKeyPair } from '../src/events/signing.js';
import { SCHEMA_VERSION, type TgfsEvent } from '../src/events/types.js';
import { namespaceProjection } from '../src/projections/projection-specs.js';
import { type Command, Replica } from '../src/projections/replica.js';
import { commandMix } from './event-mix.js';
import { type BenchOptions, selected } from './options.js';
import { BENCH_PASSWORD, BIN } from './paths.js';
import type { GroupResult, Row } from './report.js';
import { log, q, sh, shOk } from './shell.js';

const MILLION = 1_000_000;

interface Sizes {
  /** Events appended in batches; the same log is then replayed. */
  readonly appendEvents: number;
  readonly batch: number;
  /** Appends that may be in flight at once: what lets group commit merge them. */
  readonly inflight: number;
  /** Single-event appends from many concurrent callers (the FUSE pattern), merged only by group commit. */
  readonly singleEvents: number;
  readonly singleInflight: number;
  readonly foldEvents: number;
  readonly unlockRuns: number;
}

const FULL: Sizes = {
  appendEvents: 200_000,
  batch: 1000,
  inflight: 4,
  singleEvents: 20_000,
  singleInflight: 64,
  foldEvents: MILLION,
  unlockRuns: 3,
};
const QUICK: Sizes = {
  appendEvents: 20_000,
  batch: 1000,
  inflight: 4,
  singleEvents: 2_000,
  singleInflight: 64,
  foldEvents: 100_000,
  unlockRuns: 1,
};

export async function eventCoreGroup(opts: BenchOptions, work: string): Promise<GroupResult> {
  const sizes = opts.quick ? QUICK : FULL;
  const rows: Row[] = [];
  const notes: string[] = [];
  const dir = join(work, 'event-core');
  await mkdir(dir, { recursive: true });
  const want = (id: string) => selected(opts, id);

  if (want('event.emit')) rows.push(await emitOnly(sizes));
  if (want('event.append-single')) rows.push(await appendSingle(sizes, dir));
  if (want('event.append') || want('event.replay')) {
    const log = await appendBatches(sizes, dir);
    if (want('event.append')) rows.push(log.row);
    if (want('event.replay')) rows.push(...(await replay(log.fixture)));
  }
  if (want('event.fold')) rows.push(await fold(sizes));
  if (want('event.unlock')) rows.push(...(await unlock(sizes, dir)));
  notes.push(
    `appends: ${sizes.inflight} batches in flight; group commit merges whatever queued while a synced batch was written`,
  );
  return {
    id: 'event',
    title: 'Event core (issue 2)',
    baselineMeaning:
      'appends: raw unsigned LevelDB synced batch puts of the same count and value size; rebuild: a bare Map fold / a raw LevelDB scan of the same values; unlock: what the round trip cannot avoid',
    rows,
    notes,
  };
}

interface Writer {
  readonly writer: EventWriter;
  readonly ns: string;
  readonly author: string;
  readonly privateKey: Uint8Array;
  readonly eventKey: Uint8Array;
}

function newWriter(): Writer {
  const ns = randomBytes(16).toString('hex');
  const author = randomUUID();
  const { privateKey } = generateMachineKeyPair();
  const eventKey = new Uint8Array(randomBytes(32));
  const writer = new EventWriter(ns, author, privateKey, eventKey, {
    seq: 0,
    prev: null,
    clock: {},
    hlc: ZERO_HLC,
  });
  return { writer, ns, author, privateKey, eventKey };
}

function emit(w: Writer, c: Command) {
  return w.writer.emit(c.type, c.body as never).entry;
}

/** The CPU ceiling of an append: encode, sign (Ed25519), hash and seal, no I/O; baseline is the signature alone. */
async function emitOnly(sizes: Sizes): Promise<Row> {
  const n = Math.min(sizes.appendEvents, 50_000);
  const w = newWriter();
  const cmds = [...commandMix(n, 7)];
  log(`event.emit: ${n} events`);
  let t0 = performance.now();
  for (const c of cmds) emit(w, c);
  const emitS = (performance.now() - t0) / 1000;
  const { privateKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ed25519'));
  const payload = randomBytes(300);
  t0 = performance.now();
  for (let i = 0; i < n; i++) sign(null, payload, privateKey);
  const signS = (performance.now() - t0) / 1000;
  return {
    id: 'event.emit',
    label: 'emit only (encode+sign+seal, no I/O)',
    unit: 'ev/s',
    better: 'higher',
    tgcryptfs: n / emitS,
    baseline: n / signS,
    note: `baseline here is node's Ed25519 sign of a 300-byte payload alone (the ceiling for signed events on one core)`,
  };
}

/** Runs `total` appends of `batch` events each, keeping up to `inflight` of them queued at once. */
async function pipeline(
  total: number,
  batch: number,
  inflight: number,
  write: (count: number) => Promise<unknown>,
): Promise<number> {
  const pending = new Set<Promise<unknown>>();
  const t0 = performance.now();
  for (let done = 0; done < total; done += batch) {
    const p: Promise<unknown> = write(Math.min(batch, total - done)).then(() => pending.delete(p));
    pending.add(p);
    if (pending.size >= inflight) await Promise.race(pending);
  }
  await Promise.all(pending);
  return (performance.now() - t0) / 1000;
}

/** The raw baseline: the same number of puts per synced batch, values of the same size, no signing. */
async function rawPuts(
  dir: string,
  total: number,
  batch: number,
  inflight: number,
  valueBytes: number,
): Promise<number> {
  const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
  await db.open();
  const pool = randomBytes(valueBytes + 4096);
  const keys = Array.from({ length: total }, () => randomBytes(32).toString('hex'));
  let at = 0;
  try {
    return await pipeline(total, batch, inflight, (count) => {
      const b = db.batch();
      for (let k = 0; k < count; k++, at++)
        b.put(keys[at]!, pool.subarray(at % 4096, (at % 4096) + valueBytes));
      return b.write({ sync: true });
    });
  } finally {
    await db.close();
  }
}

async function appendSingle(sizes: Sizes, dir: string): Promise<Row> {
  const n = sizes.singleEvents;
  log(`event.append-single: ${n} single-event appends, ${sizes.singleInflight} in flight`);
  const oplog = await OpLog.open(join(dir, 'single-log'));
  const w = newWriter();
  const cmds = commandMix(n, 11);
  let bytes = 0;
  let seconds: number;
  try {
    seconds = await pipeline(n, 1, sizes.singleInflight, () => {
      const e = emit(w, cmds.next().value as Command);
      bytes += e.sealed.length;
      return oplog.append([e]);
    });
  } finally {
    await oplog.close();
  }
  const raw = await rawPuts(join(dir, 'single-raw'), n, 1, sizes.singleInflight, Math.round(bytes / n));
  return {
    id: 'event.append-single',
    label: `append 1 event × ${sizes.singleInflight} callers`,
    unit: 'ev/s',
    better: 'higher',
    tgcryptfs: n / seconds,
    baseline: n / raw,
    goal: { kind: 'at-least', value: 100_000 },
  };
}

interface LogFixture {
  readonly path: string;
  readonly rawPath: string;
  readonly events: number;
  readonly w: Writer;
}

async function appendBatches(sizes: Sizes, dir: string): Promise<{ row: Row; fixture: LogFixture }> {
  const n = sizes.appendEvents;
  log(`event.append: ${n} events in batches of ${sizes.batch}`);
  const path = join(dir, 'batch-log');
  const oplog = await OpLog.open(path);
  const w = newWriter();
  const cmds = commandMix(n, 42);
  let bytes = 0;
  let seconds: number;
  try {
    seconds = await pipeline(n, sizes.batch, sizes.inflight, (count) => {
      const entries = [];
      for (let k = 0; k < count; k++) {
        const e = emit(w, cmds.next().value as Command);
        bytes += e.sealed.length;
        entries.push(e);
      }
      return oplog.append(entries);
    });
  } finally {
    await oplog.close();
  }
  const rawPath = join(dir, 'batch-raw');
  const raw = await rawPuts(rawPath, n, sizes.batch, sizes.inflight, Math.round(bytes / n));
  return {
    row: {
      id: 'event.append',
      label: `append batches of ${sizes.batch}`,
      unit: 'ev/s',
      better: 'higher',
      tgcryptfs: n / seconds,
      baseline: n / raw,
      goal: { kind: 'at-least', value: 100_000 },
      note: `${n} events, ${Math.round(bytes / n)} B sealed each on average`,
    },
    fixture: { path, rawPath, events: n, w },
  };
}

/**
 * Replica.open over the log the batch append wrote: read, decrypt, decode and fold every event; then the
 * restart a mount makes, from the checkpoint its unmount stored.
 */
async function replay(f: LogFixture): Promise<Row[]> {
  log(`event.replay: ${f.events} events through Replica.open`);
  const oplog = await OpLog.open(f.path);
  let seconds: number;
  let live = 0;
  try {
    const t0 = performance.now();
    const replica = await Replica.open(
      oplog,
      f.w.ns,
      f.w.eventKey,
      { id: f.w.author, privateKey: f.w.privateKey },
      namespaceProjection,
    );
    seconds = (performance.now() - t0) / 1000;
    live = replica.state.links.size;
    await replica.saveCheckpoint();
  } finally {
    await oplog.close();
  }
  const reopened = await OpLog.open(f.path);
  let restartSeconds: number;
  try {
    const t1 = performance.now();
    await Replica.open(
      reopened,
      f.w.ns,
      f.w.eventKey,
      { id: f.w.author, privateKey: f.w.privateKey },
      namespaceProjection,
    );
    restartSeconds = (performance.now() - t1) / 1000;
  } finally {
    await reopened.close();
  }
  const db = new ClassicLevel<string, Uint8Array>(f.rawPath, { valueEncoding: 'view' });
  await db.open();
  let scanned = 0;
  const t0 = performance.now();
  try {
    for await (const v of db.values()) scanned += v.length > 0 ? 1 : 0;
  } finally {
    await db.close();
  }
  const rawSeconds = (performance.now() - t0) / 1000;
  const scale = MILLION / f.events;
  const restart: Row = {
    id: 'event.replay',
    label: `reopen from the checkpoint (${f.events} events folded)`,
    unit: 's',
    better: 'lower',
    tgcryptfs: restartSeconds,
    baseline: seconds,
    note: 'baseline: the full replay of the same log, as measured above (not extrapolated)',
  };
  const full: Row = {
    id: 'event.replay',
    label: 'rebuild 1M events from the log (Replica.open)',
    unit: 's',
    better: 'lower',
    tgcryptfs: seconds * scale,
    baseline: rawSeconds * (MILLION / scanned),
    goal: { kind: 'below', value: 10 },
    note:
      scale === 1
        ? `${live} linked inodes at the end`
        : `measured ${f.events} events (${seconds.toFixed(2)} s) and extrapolated ×${scale} (linear: each event is read, opened, decoded and folded once)`,
  };
  return [full, restart];
}

/** Builds `count` events in memory (untimed), then times folding them through the namespace projection. */
async function fold(sizes: Sizes): Promise<Row> {
  const n = sizes.foldEvents;
  log(`event.fold: building ${n} events in memory`);
  const author = randomUUID();
  const ns = randomBytes(16).toString('hex');
  const events: TgfsEvent[] = [];
  let seq = 0;
  for (const c of commandMix(n, 42)) {
    seq++;
    events.push({
      v: SCHEMA_VERSION,
      ns,
      author,
      seq,
      prev: null,
      clock: { [author]: seq },
      hlc: { wallMs: 1_700_000_000_000 + Math.floor(seq / 64), counter: seq % 64 },
      ...c,
    } as TgfsEvent);
  }
  log(`event.fold: folding`);
  let t0 = performance.now();
  let state = namespaceProjection.initial();
  for (const e of events) state = namespaceProjection.evolve(state, e);
  const seconds = (performance.now() - t0) / 1000;
  const live = state.links.size;
  // The floor: visit each event once and touch a Map keyed by its inode.
  t0 = performance.now();
  const touched = new Map<string, number>();
  for (const e of events) {
    const inode = (e.body as { inode: string }).inode;
    touched.set(inode, (touched.get(inode) ?? 0) + 1);
  }
  const baseSeconds = (performance.now() - t0) / 1000;
  const scale = MILLION / n;
  return {
    id: 'event.fold',
    label: 'rebuild 1M events in memory (evolve)',
    unit: 's',
    better: 'lower',
    tgcryptfs: seconds * scale,
    baseline: baseSeconds * scale,
    goal: { kind: 'below', value: 10 },
    note:
      scale === 1
        ? `${live} linked inodes, ${touched.size} inodes touched`
        : `measured ${n} events (${seconds.toFixed(2)} s) and extrapolated ×${scale}`,
  };
}

async function median(runs: number, f: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await f());
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

async function unlock(sizes: Sizes, dir: string): Promise<Row[]> {
  log('event.unlock: Argon2id and `namespace list` round trips');
  const salt = new Uint8Array(randomBytes(16));
  const kdfMs = await median(sizes.unlockRuns, async () => {
    const t0 = performance.now();
    await deriveMasterKey(BENCH_PASSWORD, salt, DEFAULT_KDF);
    return performance.now() - t0;
  });
  const node = q(process.execPath);
  const list = async (home: string) => {
    const env = { TGCRYPTFS_HOME: home, TGCRYPTFS_PASSWORD: BENCH_PASSWORD };
    return median(
      sizes.unlockRuns,
      async () => (await shOk(`${node} ${q(BIN)} namespace list`, { env })).seconds * 1000,
    );
  };
  const slowHome = join(dir, 'home-default-kdf');
  const fastHome = join(dir, 'home-fast-kdf');
  const env = (home: string) => ({ TGCRYPTFS_HOME: home, TGCRYPTFS_PASSWORD: BENCH_PASSWORD });
  await shOk(`${node} ${q(BIN)} machine init --name bench`, { env: env(slowHome) });
  await shOk(`${node} ${q(BIN)} machine init --name bench --kdf-memory-mb 8 --kdf-iterations 1`, {
    env: env(fastHome),
  });
  const slowMs = await list(slowHome);
  const fastMs = await list(fastHome);
  const bareNodeMs = await median(sizes.unlockRuns, async () => (await sh(`${node} -e ''`)).seconds * 1000);
  return [
    {
      id: 'event.unlock.cli',
      label: `\`namespace list\` round trip (KDF ${DEFAULT_KDF.memoryMiB} MiB × ${DEFAULT_KDF.iterations})`,
      unit: 'ms',
      better: 'lower',
      tgcryptfs: slowMs,
      baseline: kdfMs,
      note: `baseline is the unlock alone (deriveMasterKey, Argon2id, ${kdfMs.toFixed(0)} ms); the rest (${(slowMs - kdfMs).toFixed(0)} ms) is node start, module loading, LevelDB open and the cluster replay`,
    },
    {
      id: 'event.unlock.cli-fast',
      label: '`namespace list` round trip (8 MiB × 1 KDF)',
      unit: 'ms',
      better: 'lower',
      tgcryptfs: fastMs,
      baseline: bareNodeMs,
      note: 'baseline is `node -e ""`: starting node and nothing else',
    },
  ];
}
