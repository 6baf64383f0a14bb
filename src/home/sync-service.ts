import { isNoSpace } from '../disk/no-space.js';
import { TgfsError } from '../errors.js';
import { CLUSTER_NS, type EventId, type NamespaceId, type TgfsEvent } from '../events/types.js';
import type { Refusals } from '../projections/policy/refusals.js';
import { namespaceProjection } from '../projections/projection-specs.js';
import { decodeStored, Replica } from '../projections/replica.js';
import { countStagedChunks } from '../transport/content/chunk-index.js';
import type { ChunkStore } from '../transport/content/chunk-store.js';
import type { MessageStore } from '../transport/store/message-store.js';
import type { RetryOptions } from '../transport/store/retrying-store.js';
import type { OpPusher } from '../transport/sync/op-pusher.js';
import {
  type RemoteSink,
  SyncEngine,
  type SyncProgress,
  type SyncReport,
} from '../transport/sync/sync-engine.js';
import { SyncState } from '../transport/sync/sync-state.js';
import { clusterControlMethods } from './cluster-control.js';
import { type ControlServer, startControlServer } from './control/control-server.js';
import { chunkIndexOf, type UnlockedHome } from './home.js';
import type { NamespaceSession } from './namespace-session.js';
import { createNamespace, listNamespaces } from './namespaces.js';
import { openStoreStack } from './store-stack.js';

const DEFAULT_INTERVAL_MS = 15_000;

/** A sync engine wired to a home: its store (retrying, flood waits watched), state and content stores. */
export interface SyncSession {
  readonly engine: SyncEngine;
  readonly state: SyncState;
  readonly store: MessageStore;
  close(): Promise<void>;
}

export interface OpenSyncOptions {
  /** Used as is. Default: the home's store (or `rawStore` behind the same stack of wrappers). */
  readonly store?: MessageStore;
  /** The adapter to wrap instead of the home's own (tests pass fault-injecting stores); closed by `close`. */
  readonly rawStore?: MessageStore;
  readonly retry?: RetryOptions;
  /** Content stores already open (a mount's); others are opened on demand and closed by `close`. */
  readonly chunks?: ReadonlyMap<NamespaceId, ChunkStore>;
  readonly replicas?: ReadonlyMap<NamespaceId, RemoteSink>;
  readonly pushers?: ReadonlyMap<NamespaceId, OpPusher>;
  readonly log?: (line: string) => void;
  readonly onProgress?: (p: SyncProgress) => void;
  readonly snapshotIntervalMs?: number;
  readonly snapshotRetention?: number;
  /** This machine's clock (tests move it). */
  readonly now?: () => number;
  /** Replicas whose state a snapshot may carry (a mount's). */
  readonly checkpointers?: ReadonlyMap<
    NamespaceId,
    { checkpointIfPushed(): Promise<Uint8Array | undefined> }
  >;
}

export async function openSync(home: UnlockedHome, opts: OpenSyncOptions = {}): Promise<SyncSession> {
  const state = await SyncState.open(home.log.area('sync'));
  // Tests hand in their own adapter (faults injected): it gets a stack of its own, closed with the session.
  const own =
    opts.store === undefined && opts.rawStore !== undefined
      ? openStoreStack(home.storeSpec(), {
          adapter: opts.rawStore,
          ...(opts.retry === undefined ? {} : { retry: opts.retry }),
        })
      : undefined;
  const store = opts.store ?? own?.store ?? home.store;
  const stopWatching = (own ?? home).onFloodWait((ms) => {
    void state.update({ floodWaitMs: ms, floodWaitUntilMs: Date.now() + ms }).catch(() => undefined);
  });
  const opened = new Map<NamespaceId, Promise<ChunkStore>>();
  const chunksFor = async (ns: NamespaceId): Promise<ChunkStore | undefined> => {
    const given = opts.chunks?.get(ns);
    if (given !== undefined) return given;
    // Only namespaces the cluster knows: a caption naming any other id is no reason to create a cache dir.
    if (!home.cluster.state.namespaces.has(ns)) return undefined;
    let cs = opened.get(ns);
    if (cs === undefined) {
      cs = home.openChunkStore(ns, store);
      opened.set(ns, cs);
    }
    return cs;
  };
  const engine = new SyncEngine({
    home: {
      log: home.log,
      machineId: home.machine.id,
      eventKey: (ns) => home.keysFor(ns).eventKey,
      cluster: home.cluster,
    },
    store,
    state,
    chunksFor,
    replicaFor: (ns) => opts.replicas?.get(ns),
    pusherFor: (ns) => opts.pushers?.get(ns),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.snapshotIntervalMs === undefined ? {} : { snapshotIntervalMs: opts.snapshotIntervalMs }),
    ...(opts.snapshotRetention === undefined ? {} : { snapshotRetention: opts.snapshotRetention }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
    checkpointFor: async (ns) => opts.checkpointers?.get(ns)?.checkpointIfPushed(),
  });
  return {
    engine,
    state,
    store,
    async close() {
      stopWatching();
      for (const cs of opened.values()) await (await cs).close();
      await own?.close();
    },
  };
}

// ---- views for `sync status` and `sync history` ----------------------------------------------------------

export type { SyncReport };

export interface SyncStatusView {
  readonly pending: {
    readonly events: number;
    readonly chunks: number;
    readonly namespaces: ReadonlyArray<{ id: NamespaceId; name: string; events: number; chunks: number }>;
  };
  readonly lastPush: string | null;
  readonly lastPull: string | null;
  readonly lastPushError: string | null;
  readonly lastPullError: string | null;
  /** A flood wait still running: how long the store asked for and until when. */
  readonly floodWait: { readonly seconds: number; readonly until: string } | null;
  readonly pushedEvents: number;
  readonly pulledEvents: number;
  readonly duplicateMessages: number;
  readonly lastSeenMessageId: number;
  readonly rejected: ReadonlyArray<{
    messageId: number;
    namespace: NamespaceId;
    code: string;
    reason: string;
    at: string;
    held: boolean;
  }>;
  /** Verified events the namespace's policy refused (kept in the log, not shown), in the namespaces open here. */
  readonly refused: ReadonlyArray<{
    namespace: string;
    author: string;
    seq: number;
    type: string;
    code: string;
    reason: string;
  }>;
}

/**
 * What `sync status` shows. `open` are the namespace replicas this process has open (a mount's): their
 * refusals are known without re-folding anything; the cluster's are always known.
 */
export async function syncStatus(
  home: UnlockedHome,
  state: SyncState,
  open: ReadonlyMap<NamespaceId, { readonly state: { readonly refused: Refusals } }> = new Map(),
): Promise<SyncStatusView> {
  const names = new Map<NamespaceId, string>([[CLUSTER_NS, '(cluster)']]);
  for (const n of home.cluster.state.namespaces.values()) names.set(n.id, n.name);
  // A namespace no replica of this process has open: its refusals as of its checkpoint (the last unmount).
  const checkpointed: Array<[NamespaceId, { readonly state: { readonly refused: Refusals } }]> = [];
  for (const ns of home.cluster.state.namespaces.keys()) {
    if (open.has(ns)) continue;
    const state = await Replica.checkpointedState(
      home.log,
      ns,
      home.keysFor(ns).eventKey,
      namespaceProjection,
    );
    if (state !== undefined && state.refused.size > 0) checkpointed.push([ns, { state }]);
  }
  const namespaces = [];
  for (const [id, name] of names) {
    const events = await home.log.countPending(id);
    const chunks = id === CLUSTER_NS ? 0 : await countStagedChunks(chunkIndexOf(home.log, id));
    namespaces.push({ id, name, events, chunks });
  }
  const s = state.status;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const waiting = s.floodWaitUntilMs !== undefined && s.floodWaitUntilMs > Date.now();
  return {
    pending: {
      events: namespaces.reduce((n, x) => n + x.events, 0),
      chunks: namespaces.reduce((n, x) => n + x.chunks, 0),
      namespaces,
    },
    lastPush: iso(s.lastPushMs),
    lastPull: iso(s.lastPullMs),
    lastPushError: s.lastPushError ?? null,
    lastPullError: s.lastPullError ?? null,
    floodWait: waiting
      ? {
          seconds: Math.ceil((s.floodWaitMs ?? 0) / 1000),
          until: new Date(s.floodWaitUntilMs!).toISOString(),
        }
      : null,
    pushedEvents: s.pushedEvents ?? 0,
    pulledEvents: s.pulledEvents ?? 0,
    duplicateMessages: s.duplicateMessages ?? 0,
    lastSeenMessageId: await state.lastSeen(),
    rejected: (await state.badMessages()).map((b) => ({
      messageId: b.messageId,
      namespace: b.ns,
      code: b.code,
      reason: b.reason,
      at: new Date(b.atMs).toISOString(),
      held: b.held,
    })),
    refused: [
      ...[...home.cluster.state.refused.values()].map((r) => ({ ...r, namespace: '(cluster)' })),
      ...[...open, ...checkpointed].flatMap(([ns, replica]) =>
        [...replica.state.refused.values()].map((r) => ({ ...r, namespace: names.get(ns) ?? ns })),
      ),
    ],
  };
}

export interface HistoryView {
  readonly direction: 'push' | 'pull';
  readonly at: string;
  readonly namespace: string;
  readonly author: string;
  readonly authorName: string | null;
  readonly type: string;
  /** Informational (design.md): the path the author's machine saw, or the name an event carries. */
  readonly path: string | null;
  readonly eventId: EventId;
  readonly messageId: number | null;
}

export async function syncHistory(
  home: UnlockedHome,
  state: SyncState,
  limit: number,
): Promise<HistoryView[]> {
  const cluster = home.cluster.state;
  const out: HistoryView[] = [];
  for (const h of await state.history(limit)) {
    const sealed = await home.log.getSealed(h.ns, h.eventId);
    if (sealed === undefined) continue;
    const event = decodeStored(home.keysFor(h.ns).eventKey, h.ns, h.eventId, sealed).event;
    out.push({
      direction: h.dir,
      at: new Date(h.atMs).toISOString(),
      namespace: h.ns === CLUSTER_NS ? '(cluster)' : (cluster.namespaces.get(h.ns)?.name ?? h.ns),
      author: event.author,
      authorName: cluster.members.get(event.author)?.name ?? null,
      type: event.type,
      path: infoPath(event),
      eventId: h.eventId,
      messageId: h.messageId ?? null,
    });
  }
  return out;
}

function infoPath(e: TgfsEvent): string | null {
  switch (e.type) {
    case 'Create':
      return e.body.path ?? e.body.name;
    case 'Move':
    case 'Link':
      return e.body.path ?? e.body.name;
    case 'Write':
    case 'Delete':
    case 'SetAttr':
      return e.body.path ?? null;
    case 'NamespaceCreated':
    case 'MachineJoined':
      return e.body.name;
    case 'ClusterCreated':
      return e.body.cluster;
    case 'MachineAdmitted':
    case 'MachineRemoved':
    case 'MachineReplaced':
      return e.body.machine;
    case 'MasterChanged':
      return `${e.body.namespace} → ${e.body.master}`;
  }
}

export function reportLines(r: SyncReport): string[] {
  const lines = [
    `pushed ${r.push.events} events in ${r.push.opMessages} op messages (${r.push.packs} packs)`,
    `pulled ${r.pull.events} new events from ${r.pull.messages} op messages`,
  ];
  if (r.pull.rejected.length > 0)
    lines.push(`rejected ${r.pull.rejected.length} messages: see \`tgcryptfs sync status\``);
  if (r.pull.held.length > 0)
    lines.push(`${r.pull.held.length} messages held back (a gap): see \`tgcryptfs sync status\``);
  return lines;
}

// ---- inside a mount ---------------------------------------------------------------------------------------

export interface SyncService {
  syncNow(): Promise<SyncReport>;
  close(): Promise<void>;
}

/**
 * Runs sync in a mount process: every `intervalMs` (TGCRYPTFS_SYNC_INTERVAL_MS, default 15 s) in the
 * background — FUSE calls never wait on the store, and a failed round is logged and retried next time — and
 * serves `sync status|now|history` on the control socket. Close it before the session and the home.
 */
export async function startSyncService(
  home: UnlockedHome,
  session: NamespaceSession,
  opts: {
    log?: (line: string) => void;
    intervalMs?: number;
    snapshotIntervalMs?: number;
    snapshotRetention?: number;
  } = {},
): Promise<SyncService> {
  const ns = session.info.id;
  const sync = await openSync(home, {
    ...(opts.snapshotIntervalMs === undefined ? {} : { snapshotIntervalMs: opts.snapshotIntervalMs }),
    ...(opts.snapshotRetention === undefined ? {} : { snapshotRetention: opts.snapshotRetention }),
    chunks: new Map([[ns, session.chunks]]),
    replicas: new Map([[ns, session.replica]]),
    pushers: new Map([[ns, session.pusher]]),
    checkpointers: new Map([[ns, session.replica]]),
    ...(opts.log ? { log: opts.log } : {}),
  });
  // The environment wins: tests (and impatient users) shorten every interval with it.
  const envInterval = Number(process.env['TGCRYPTFS_SYNC_INTERVAL_MS']);
  const intervalMs = envInterval > 0 ? envInterval : (opts.intervalMs ?? DEFAULT_INTERVAL_MS);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<unknown> = Promise.resolve();
  // A full disk fails every round alike until space is freed: said once, not every interval.
  let diskFull = false;
  const round = () => {
    timer = undefined;
    running = sync.engine
      .sync()
      .then(() => {
        diskFull = false;
      })
      .catch((err: Error) => {
        if (!(diskFull && isNoSpace(err)))
          opts.log?.(`sync failed (will retry in ${intervalMs} ms): ${err.message}`);
        diskFull = isNoSpace(err);
      })
      .finally(() => {
        if (!closed) timer = setTimeout(round, intervalMs);
      });
  };
  timer = setTimeout(round, 0);
  let server: ControlServer | undefined;
  try {
    server = await startControlServer(
      home.paths.controlSocket,
      {
        'sync.status': () => syncStatus(home, sync.state, new Map([[ns, session.replica]])),
        'namespace.list': async () => listNamespaces(home),
        'namespace.create': (params) => createNamespace(home, namespaceRequestOf(params)),
        'sync.now': () => sync.engine.sync(),
        'sync.history': (params) => syncHistory(home, sync.state, limitOf(params)),
        ...clusterControlMethods(home, sync),
      },
      opts.log,
    );
  } catch (err) {
    opts.log?.(`control socket ${home.paths.controlSocket} not started: ${(err as Error).message}`);
  }
  return {
    syncNow: () => sync.engine.sync(),
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await server?.close();
      await running;
      try {
        await sync.engine.push();
      } catch (err) {
        opts.log?.(`final push failed; pending work stays in the home: ${(err as Error).message}`);
      }
      await sync.close();
    },
  };
}

function namespaceRequestOf(params: unknown): { name: string; mode: string; conflict: string } {
  const p = (params ?? {}) as Record<string, unknown>;
  const text = (key: string) => {
    const v = p[key];
    if (typeof v !== 'string')
      throw new TgfsError('INVALID_ARGUMENT', `namespace.create needs a string ${key}`);
    return v;
  };
  return { name: text('name'), mode: text('mode'), conflict: text('conflict') };
}

export function limitOf(params: unknown): number {
  const n = (params as { limit?: unknown } | null)?.limit;
  if (n === undefined) return 100;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new TgfsError('INVALID_ARGUMENT', `--limit must be a positive integer, got ${String(n)}`);
  }
  return n;
}
