/**
 * Store (issue 4), the sync side: how long `tgcryptfs rebuild` takes for a store holding N events, and what an
 * idle sync round costs in store calls. Events are made through the real writer and pushed by the real sync
 * engine, not through FUSE (100k file operations would take minutes of FUSE round trips for nothing).
 */
import { join } from 'node:path';
import { homePaths } from '../src/config/home-paths.js';
import { ROOT_INODE } from '../src/events/types.js';
import { unlockHome } from '../src/home/home.js';
import { resolveNamespace } from '../src/home/namespace-session.js';
import { openSync } from '../src/home/sync-service.js';
import { namespaceProjection } from '../src/projections/projection-specs.js';
import { Replica } from '../src/projections/replica.js';
import { LocalMessageStore } from '../src/transport/store/local-store.js';
import type {
  ByteRange,
  MessageId,
  MessageStore,
  StoredMessage,
} from '../src/transport/store/message-store.js';
import { BENCH_PASSWORD, BIN } from './paths.js';
import type { Row } from './report.js';
import { log, q, shOk } from './shell.js';

/** Counts the calls that reach the store, by method. */
class CountingStore implements MessageStore {
  readonly calls = { append: 0, list: 0, read: 0, delete: 0 };
  constructor(private readonly inner: MessageStore) {}
  append(caption: string, bytes: Uint8Array): Promise<MessageId> {
    this.calls.append++;
    return this.inner.append(caption, bytes);
  }
  list(afterId: MessageId, limit?: number): Promise<StoredMessage[]> {
    this.calls.list++;
    return this.inner.list(afterId, limit);
  }
  read(id: MessageId, range?: ByteRange): Promise<Uint8Array> {
    this.calls.read++;
    return this.inner.read(id, range);
  }
  delete(ids: readonly MessageId[]): Promise<void> {
    this.calls.delete++;
    return this.inner.delete(ids);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  reset(): void {
    this.calls.append = this.calls.list = this.calls.read = this.calls.delete = 0;
  }
}

/** Fills `home`'s store with `events` namespace events (creates, writes, moves), pushed by the sync engine. */
async function fillStore(home: string, events: number): Promise<void> {
  const unlocked = await unlockHome(homePaths(home), BENCH_PASSWORD);
  try {
    const info = await resolveNamespace(unlocked, undefined);
    const replica = await Replica.open(
      unlocked.log,
      info.id,
      unlocked.keysFor(info.id).eventKey,
      unlocked.machine,
      namespaceProjection,
    );
    const batch = 1000;
    for (let done = 0; done < events; done += batch) {
      const commands = [];
      for (let i = done; i < Math.min(events, done + batch); i += 2) {
        const inode = `${i.toString(16).padStart(31, '0')}f`;
        commands.push({
          type: 'Create' as const,
          body: {
            inode,
            parent: ROOT_INODE,
            name: `f${i}`,
            kind: 'file' as const,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtimeMs: i,
          },
        });
        commands.push({
          type: 'Write' as const,
          body: { inode, sizeBytes: 5, inline: new TextEncoder().encode('hello'), mtimeMs: i },
        });
      }
      await replica.commit(commands, { durable: false });
    }
    await unlocked.log.sync();
    const sync = await openSync(unlocked);
    try {
      await sync.engine.push();
    } finally {
      await sync.close();
    }
  } finally {
    await unlocked.close();
  }
}

export async function rebuildRow(work: string, events: number): Promise<Row> {
  const home = join(work, 'rebuild-source');
  const store = join(work, 'rebuild-store');
  const env = `TGCRYPTFS_HOME=${q(home)} TGCRYPTFS_PASSWORD=${q(BENCH_PASSWORD)}`;
  await shOk(
    `${env} ${q(process.execPath)} ${q(BIN)} machine init --name src --store ${q(`local:${store}`)} --kdf-memory-mb 8 --kdf-iterations 1`,
  );
  log(`store: writing ${events} events`);
  await fillStore(home, events);
  // Baseline: reading every message of the store once, the I/O a rebuild cannot avoid.
  const raw = await LocalMessageStore.open(store);
  const t0 = performance.now();
  for (let after = 0; ; ) {
    const page = await raw.list(after, 500);
    if (page.length === 0) break;
    for (const m of page) await raw.read(m.id);
    after = page[page.length - 1]!.id;
  }
  const baselineS = (performance.now() - t0) / 1000;
  await raw.close();
  const target = join(work, 'rebuild-target');
  const t1 = performance.now();
  await shOk(
    `TGCRYPTFS_HOME=${q(target)} TGCRYPTFS_PASSWORD=${q(BENCH_PASSWORD)} ${q(process.execPath)} ${q(BIN)} rebuild --store ${q(`local:${store}`)}`,
    { timeoutMs: 30 * 60_000 },
  );
  const rebuildS = (performance.now() - t1) / 1000;
  return {
    id: 'store.rebuild',
    label: `rebuild a home from ${events} events`,
    unit: 's',
    better: 'lower',
    tgcryptfs: rebuildS,
    baseline: baselineS,
    note: 'baseline: reading every message of that store once; the rebuild also verifies, logs and folds every event',
  };
}

export async function idleSyncRow(work: string): Promise<Row> {
  const home = join(work, 'rebuild-source');
  const unlocked = await unlockHome(homePaths(home), BENCH_PASSWORD);
  try {
    const counting = new CountingStore(unlocked.store);
    const sync = await openSync(unlocked, { store: counting });
    try {
      // Two rounds settle what is left: the first may pull and then write a snapshot, which the second lists.
      await sync.engine.sync();
      await sync.engine.sync();
      counting.reset();
      await sync.engine.sync();
    } finally {
      await sync.close();
      await counting.close();
    }
    const c = counting.calls;
    return {
      id: 'store.idle-sync',
      label: 'store calls per idle sync round',
      unit: 'calls',
      better: 'lower',
      tgcryptfs: c.append + c.list + c.read + c.delete,
      baseline: 1,
      goal: { kind: 'at-most', value: 1 },
      note: `idle round: ${c.list} list, ${c.read} read, ${c.append} append, ${c.delete} delete`,
    };
  } finally {
    await unlocked.close();
  }
}
