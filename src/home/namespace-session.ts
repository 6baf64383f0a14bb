import { statfs } from 'node:fs/promises';
import { newNamespaceId } from '../crypto/ids.js';
import { DEFAULT_RESERVE_BYTES } from '../disk/space-reserve.js';
import { TgfsError } from '../errors.js';
import { type NamespaceId, ROOT_INODE } from '../events/types.js';
import { type DiskSpace, MountedNamespace } from '../fs/mounted-namespace.js';
import { namespaceByName, namespacesByName } from '../projections/cluster/queries.js';
import type { NamespaceInfo } from '../projections/cluster/state.js';
import { nodeOf } from '../projections/namespace/queries.js';
import type { NamespaceState } from '../projections/namespace/state.js';
import { mayMount, mayWrite, policyFor } from '../projections/policy/namespace-policy.js';
import { policyStream } from '../projections/policy/policy-stream.js';
import { namespaceProjection } from '../projections/projection-specs.js';
import { Replica } from '../projections/replica.js';
import type { ChunkStore } from '../transport/content/chunk-store.js';
import { ChunkWorkerPool } from '../transport/content/chunk-worker-pool.js';
import type { MessageStore } from '../transport/store/message-store.js';
import { OpPusher } from '../transport/sync/op-pusher.js';
import type { UnlockedHome } from './home.js';
import { PushScheduler } from './push-scheduler.js';

export const DEFAULT_NAMESPACE = 'default';

/** Everything one mounted namespace runs on: its replica, content store, pusher and filesystem. */
export interface NamespaceSession {
  readonly info: NamespaceInfo;
  readonly replica: Replica<NamespaceState>;
  readonly chunks: ChunkStore;
  readonly store: MessageStore;
  readonly pusher: OpPusher;
  readonly fs: MountedNamespace;
  /** Asked for, or because the policy says this machine may not write (a master-replica namespace's replica). */
  readonly readOnly: boolean;
  close(): Promise<void>;
}

/**
 * The namespace a command names; with no name, `default` — created (standalone) on first use when the
 * cluster has no namespace at all, so the quick start needs no extra step.
 */
export async function resolveNamespace(home: UnlockedHome, name: string | undefined): Promise<NamespaceInfo> {
  const wanted = name ?? DEFAULT_NAMESPACE;
  const found = namespaceByName(home.cluster.state, wanted) ?? byId(home, wanted);
  if (found !== undefined) return found;
  const all = namespacesByName(home.cluster.state);
  if (name === undefined && all.length === 0) {
    const { id, nonce } = newNamespaceId(home.machine.id);
    await home.cluster.commit([
      {
        type: 'NamespaceCreated',
        body: {
          namespace: id,
          nonce,
          name: DEFAULT_NAMESPACE,
          mode: 'standalone',
          conflict: 'last-write-wins',
          master: home.machine.id,
          createdAtMs: Date.now(),
        },
      },
    ]);
    const created = namespaceByName(home.cluster.state, DEFAULT_NAMESPACE);
    if (created !== undefined) return created;
  }
  const known = all.map((n) => n.name).join(', ') || 'none';
  throw new TgfsError('NAMESPACE_UNKNOWN', `unknown namespace ${wanted} (known: ${known})`);
}

function byId(home: UnlockedHome, id: string): NamespaceInfo | undefined {
  return home.cluster.state.namespaces.get(id as NamespaceId);
}

export async function openNamespaceSession(
  home: UnlockedHome,
  info: NamespaceInfo,
  opts: { readOnly?: boolean; log?: (line: string) => void } = {},
): Promise<NamespaceSession> {
  const mountable = mayMount(policyFor(home.cluster.state, info.id), home.machine.id);
  if (!mountable.allowed)
    throw new TgfsError(mountable.code, `cannot mount ${info.name}: ${mountable.reason}`);
  const keys = home.keysFor(info.id);
  const store = home.store;
  const workers = new ChunkWorkerPool();
  // The namespace follows the cluster: a change of mode or master re-folds it under the new policy.
  const replica = await Replica.open(home.log, info.id, keys.eventKey, home.machine, namespaceProjection, {
    policy$: policyStream(home.cluster, info.id),
  });
  // Cutting, naming and sealing content off the thread that answers FUSE calls.
  const chunks = await home.openChunkStore(info.id, store, workers);
  const pusher = new OpPusher(home.log, info.id, chunks, store);
  const readOnly = opts.readOnly === true || !mayWrite(replica.currentPolicy, home.machine.id);
  if (!readOnly && nodeOf(replica.state, ROOT_INODE)?.mtimeMs === 0) {
    // The root exists before any event; give it an owner and times on first use, as mkfs does.
    const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    await replica.commit([
      { type: 'SetAttr', body: { inode: ROOT_INODE, mode: 0o755, ...owner, mtimeMs: Date.now(), path: '/' } },
    ]);
  }
  const pushes = new PushScheduler(
    home.log,
    info.id,
    () => pusher.push(),
    (err) => opts.log?.(`push to the store failed (will retry): ${err.message}`),
  );
  const fs = new MountedNamespace(replica, chunks, {
    readOnly,
    space: () => diskSpaceOf(home.paths.root),
    dirtyLimitBytes: home.config.cache.dirty_limit_mb * 1024 * 1024,
    ...(opts.log ? { log: opts.log } : {}),
  });
  return {
    info,
    replica,
    chunks,
    store,
    pusher,
    fs,
    readOnly,
    async close() {
      pushes.stop();
      await fs.flushAll();
      try {
        await pusher.push();
      } catch (err) {
        opts.log?.(`push to the store failed; pending work stays in the home: ${(err as Error).message}`);
      }
      // Every event of this namespace is folded in by now (sync stopped first): the next mount starts here.
      try {
        await replica.saveCheckpoint();
      } catch (err) {
        // A checkpoint is a cache (a full disk, say): the next mount replays the log instead.
        opts.log?.(`checkpoint not saved, the next mount replays the log: ${(err as Error).message}`);
      }
      replica.close();
      await chunks.close();
      await workers.close();
    },
  };
}

/**
 * The free space of the filesystem holding the home (its log, staging and cache): what a full disk stops.
 * Available is what file content may still use: the free space less the reserve kept for the op log, as a
 * local filesystem leaves its reserved blocks out of `df`'s Avail.
 */
async function diskSpaceOf(dir: string): Promise<DiskSpace> {
  const s = await statfs(dir);
  const reserveBlocks = Math.ceil(DEFAULT_RESERVE_BYTES / s.bsize);
  return {
    blockSize: s.bsize,
    blocks: s.blocks,
    blocksFree: s.bfree,
    blocksAvailable: Math.max(0, s.bavail - reserveBlocks),
  };
}
