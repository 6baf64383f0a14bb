import { decode, encode } from 'cbor-x';
import { snapshotAad } from '../../crypto/contexts.js';
import { type KeyInput, openInEpoch, sealInEpoch } from '../../crypto/epoch-box.js';
import { newRandomId } from '../../crypto/ids.js';
import type { OpLog } from '../../events/op-log.js';
import { CLUSTER_NS, type MachineId, type NamespaceId } from '../../events/types.js';
import type { ClusterState } from '../../projections/cluster/state.js';
import { formatCaption, parseCaption } from '../store/captions.js';
import type { MessageId, MessageStore, StoredMessage } from '../store/message-store.js';

/**
 * A `meta` snapshot: what the cluster looked like when it was taken — the namespace directory, the members,
 * and how far every author's hash chain reached in every namespace — sealed with the cluster event key.
 * A rebuild reads the newest one first: it knows the namespaces before replaying a single event, can size its
 * progress bar, and can tell afterwards whether the store still holds every event the snapshot promised.
 * The events stay the truth; a snapshot only ever speeds up or checks.
 */
export interface ClusterSnapshot {
  readonly v: 1;
  readonly takenAtMs: number;
  readonly takenBy: MachineId;
  /** The highest message id the taker had pulled when it took the snapshot. */
  readonly lastMessageId: MessageId;
  readonly namespaces: ReadonlyArray<{
    readonly id: NamespaceId;
    readonly name: string;
    readonly mode: string;
    readonly conflict: string;
    readonly master: MachineId;
    readonly createdAtMs: number;
  }>;
  readonly members: ReadonlyArray<{ readonly machine: MachineId; readonly name: string }>;
  /** ns → author → highest seq in the taker's log. */
  readonly heads: Readonly<Record<NamespaceId, Readonly<Record<MachineId, number>>>>;
  /**
   * ns → a projection checkpoint covering only events in the store (see Replica.checkpointIfPushed): a
   * rebuild installs it, so the new home's first mount folds only the events after it.
   */
  readonly checkpoints?: Readonly<Record<NamespaceId, Uint8Array>>;
}

/** The box names its key epoch (epoch-box.ts). */
function aad(captionId: string): (epoch: number) => Uint8Array {
  return (epoch) => snapshotAad(CLUSTER_NS, captionId, epoch);
}

export async function takeSnapshot(
  log: OpLog,
  cluster: ClusterState,
  takenBy: MachineId,
  lastMessageId: MessageId,
  now: number = Date.now(),
): Promise<ClusterSnapshot> {
  const heads: Record<NamespaceId, Record<MachineId, number>> = {};
  for (const ns of [CLUSTER_NS, ...cluster.namespaces.keys()]) {
    const h: Record<MachineId, number> = {};
    for (const [author, head] of await log.headsOf(ns)) h[author] = head.seq;
    heads[ns] = h;
  }
  return {
    v: 1,
    takenAtMs: now,
    takenBy,
    lastMessageId,
    namespaces: [...cluster.namespaces.values()].map((n) => ({
      id: n.id,
      name: n.name,
      mode: n.mode,
      conflict: n.conflict,
      master: n.master,
      createdAtMs: n.createdAtMs,
    })),
    members: [...cluster.members.values()].map((m) => ({ machine: m.machine, name: m.name })),
    heads,
  };
}

export async function writeSnapshot(
  store: MessageStore,
  clusterEventKey: KeyInput,
  snapshot: ClusterSnapshot,
): Promise<MessageId> {
  const id = newRandomId();
  const sealed = sealInEpoch(clusterEventKey, encode(snapshot), aad(id));
  return store.append(formatCaption({ namespace: CLUSTER_NS, type: 'meta', id }), sealed);
}

/**
 * The newest snapshot that opens with this key among `messages` (a listing of the store), or undefined.
 * A meta message that does not open (another cluster's, forged, damaged) is passed over.
 */
export async function newestSnapshot(
  store: MessageStore,
  clusterEventKey: KeyInput,
  messages: readonly StoredMessage[],
): Promise<{ messageId: MessageId; snapshot: ClusterSnapshot } | undefined> {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    const c = parseCaption(m.caption);
    if (c?.type !== 'meta' || c.namespace !== CLUSTER_NS) continue;
    try {
      const snapshot = decode(
        openInEpoch(clusterEventKey, await store.read(m.id), aad(c.id)),
      ) as ClusterSnapshot;
      if (snapshot?.v === 1 && typeof snapshot.heads === 'object') return { messageId: m.id, snapshot };
    } catch (err) {
      if ((err as { code?: string }).code === 'STORE_UNAVAILABLE') throw err;
    }
  }
  return undefined;
}

/** The snapshot in message `messageId` (the manifest directory's pointer), or undefined if it does not open. */
export async function readSnapshot(
  store: MessageStore,
  clusterEventKey: KeyInput,
  messageId: MessageId,
): Promise<{ messageId: MessageId; snapshot: ClusterSnapshot } | undefined> {
  const [m] = await store.list(messageId - 1, 1);
  if (m === undefined || m.id !== messageId) return undefined;
  return newestSnapshot(store, clusterEventKey, [m]);
}

/** Chains the snapshot lists that the log does not reach: `ns author: have/want`. Empty when complete. */
export async function missingSince(log: OpLog, snapshot: ClusterSnapshot): Promise<string[]> {
  const out: string[] = [];
  for (const [ns, authors] of Object.entries(snapshot.heads)) {
    for (const [author, seq] of Object.entries(authors)) {
      const have = (await log.headOf(ns, author))?.seq ?? 0;
      if (have < seq) out.push(`${ns} ${author}: ${have}/${seq}`);
    }
  }
  return out;
}
