import { KeyEpochUnknownError, type KeyInput } from '../../crypto/epoch-box.js';
import { isTgfsError, TgfsError } from '../../errors.js';
import { compareCanonical, positionOf } from '../../events/canonical-order.js';
import { openRecordBox } from '../../events/event-seal.js';
import { verifyEvent } from '../../events/event-verifier.js';
import { isTooFarAhead } from '../../events/hlc.js';
import type { LogEntry, OpLog, PendingEntry } from '../../events/op-log.js';
import { openRecord } from '../../events/signing.js';
import {
  CLUSTER_NS,
  type EventId,
  type MachineId,
  type NamespaceId,
  type SignedEvent,
  type TgfsEvent,
} from '../../events/types.js';
import type { ClusterState } from '../../projections/cluster/state.js';
import type { Replica } from '../../projections/replica.js';
import type { ChunkStore } from '../content/chunk-store.js';
import { parseCaption } from '../store/captions.js';
import type { MessageId, MessageStore, StoredMessage } from '../store/message-store.js';
import { findKeyEpochs } from './cluster-manifest.js';
import { LogVerifyContext } from './log-verify-context.js';
import { writeManifestDirectory } from './manifest-directory.js';
import { decodeOpMessage } from './op-message.js';
import { OpPusher } from './op-pusher.js';
import { takeSnapshot, writeSnapshot } from './snapshot.js';
import type { BadMessage, HistoryEntry, SyncState } from './sync-state.js';

/** Messages listed per store call while pulling. */
const LIST_PAGE = 500;
/** How often (in messages) the pull records how far it got, so an interrupted pull resumes near there. */
const CHECKPOINT_EVERY = 50;

/** What the engine needs of a home: the log, who we are, the keys, and the cluster projection. */
export interface SyncHome {
  readonly log: OpLog;
  readonly machineId: MachineId;
  eventKey(ns: NamespaceId): KeyInput;
  readonly cluster: Replica<ClusterState>;
}

/**
 * The intake of a namespace that is open (its Replica): appends verified events to the log, then folds them.
 * Resolves with the ids that were new. A namespace with none open gets its events appended to the log alone;
 * its next open folds them.
 */
export interface RemoteSink {
  ingest(entries: ReadonlyArray<{ entry: LogEntry; event: TgfsEvent }>): Promise<EventId[]>;
}

export interface SyncProgress {
  readonly phase: 'list' | 'pull' | 'index' | 'push';
  readonly done: number;
  readonly total: number;
}

export interface SyncEngineOptions {
  readonly home: SyncHome;
  readonly store: MessageStore;
  readonly state: SyncState;
  /** A namespace's content store: staged chunks are pushed before the events, others' packs get indexed. */
  readonly chunksFor?: (ns: NamespaceId) => Promise<ChunkStore | undefined>;
  /** The open replica of a namespace, if any (the cluster's is the home's). */
  readonly replicaFor?: (ns: NamespaceId) => RemoteSink | undefined;
  /** A namespace already pushed by someone (a mount's OpPusher): the engine asks it instead of racing it. */
  readonly pusherFor?: (ns: NamespaceId) => OpPusher | undefined;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  /** A namespace's checkpoint for a snapshot, when one may be shared (see Replica.checkpointIfPushed). */
  readonly checkpointFor?: (ns: NamespaceId) => Promise<Uint8Array | undefined>;
  /** Least time between two `meta` snapshots; 0 takes one after every sync that moved events (default 1 h). */
  readonly snapshotIntervalMs?: number;
  /** How many `meta` snapshots to keep in the store; older ones are deleted after a new one is written. */
  readonly snapshotRetention?: number;
  readonly onProgress?: (p: SyncProgress) => void;
}

export interface PushReport {
  readonly events: number;
  readonly opMessages: number;
  readonly packs: number;
}

export interface PullReport {
  /** Op messages looked at (held ones retried included). */
  readonly messages: number;
  /** Events new to this home. */
  readonly events: number;
  /** Op messages whose events were all known already. */
  readonly duplicates: number;
  readonly rejected: readonly BadMessage[];
  /** Messages still held back after the whole pull (a gap, or an author not known). */
  readonly held: readonly BadMessage[];
}

export interface SyncReport {
  readonly push: PushReport;
  readonly pull: PullReport;
  readonly snapshot?: MessageId;
}

type Outcome =
  | { readonly kind: 'applied'; readonly events: number }
  | { readonly kind: 'duplicate' | 'own' }
  | { readonly kind: 'held' | 'rejected'; readonly code: string; readonly reason: string };

/** Codes that may resolve themselves once more messages arrive: hold the message back and retry it. */
const RETRYABLE = new Set([
  'HASH_CHAIN_GAP',
  'EVENT_UNKNOWN_AUTHOR',
  'EVENT_SCHEMA_UNKNOWN',
  'EVENT_FROM_FUTURE',
  // Sealed under a newer key epoch: opens once this home is unlocked with the new password.
  'KEY_EPOCH_UNKNOWN',
]);

/**
 * Mirrors the op log to the store and back, for every namespace of the cluster (the cluster namespace too).
 *
 * Push: per namespace, chunks (packs) before the `op` messages whose events reference them.
 * Pull: lists the store after the last message id seen, opens each `op` message with its namespace's event key,
 * verifies every event (signature, hash chain against the log) and inserts the message's new events in one
 * synced batch, then hands them to the namespace's replica. A message is all or nothing: a forged, damaged or
 * forking message changes nothing and is recorded with its reason; one with a gap is held back and retried
 * after later messages (and on later pulls) until it fits. Re-posted messages are duplicates, not errors.
 */
export class SyncEngine {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly pushers = new Map<NamespaceId, OpPusher>();
  private readonly home: SyncHome;
  private readonly store: MessageStore;
  private readonly state: SyncState;
  private readonly now: () => number;
  /** When each key epoch began, read from the store's manifests the first time an unknown one turns up. */
  private epochDates: Promise<Map<number, number | undefined>> | undefined;

  constructor(private readonly opts: SyncEngineOptions) {
    this.home = opts.home;
    this.store = opts.store;
    this.state = opts.state;
    this.now = opts.now ?? Date.now;
  }

  /** Push, then pull (then a snapshot when due). One sync runs at a time; calls queue. */
  sync(): Promise<SyncReport> {
    return this.exclusive(async () => {
      let failure: unknown;
      let push: PushReport = { events: 0, opMessages: 0, packs: 0 };
      let pull: PullReport = { messages: 0, events: 0, duplicates: 0, rejected: [], held: [] };
      try {
        push = await this.pushAll();
      } catch (err) {
        failure = err;
      }
      try {
        pull = await this.pullAll();
      } catch (err) {
        failure ??= err;
      }
      if (failure !== undefined) throw failure;
      const snapshot = await this.snapshotIfDue();
      return snapshot === undefined ? { push, pull } : { push, pull, snapshot };
    });
  }

  push(): Promise<PushReport> {
    return this.exclusive(() => this.pushAll());
  }

  pull(): Promise<PullReport> {
    return this.exclusive(() => this.pullAll());
  }

  /** Writes a snapshot now, whatever the interval. */
  snapshot(): Promise<MessageId> {
    return this.exclusive(() => this.writeSnapshotNow());
  }

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const result = this.tail.then(run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  // ---- push --------------------------------------------------------------------------------------------

  private namespaces(): NamespaceId[] {
    return [CLUSTER_NS, ...this.home.cluster.state.namespaces.keys()];
  }

  private async pushAll(): Promise<PushReport> {
    try {
      let events = 0;
      let opMessages = 0;
      let packs = 0;
      const namespaces = this.namespaces();
      for (const [i, ns] of namespaces.entries()) {
        this.opts.onProgress?.({ phase: 'push', done: i, total: namespaces.length });
        const r = await this.pushNamespace(ns);
        events += r.events;
        opMessages += r.opMessages;
        packs += r.packs;
      }
      await this.state.update({
        lastPushMs: this.now(),
        lastPushError: undefined,
        pushedEvents: (this.state.status.pushedEvents ?? 0) + events,
      });
      return { events, opMessages, packs };
    } catch (err) {
      await this.state.update({ lastPushError: describe(err) });
      throw err;
    }
  }

  private async pushNamespace(ns: NamespaceId): Promise<PushReport> {
    const pusher = await this.pusherOf(ns);
    if (pusher === undefined) {
      // Events may reference chunks staged in that namespace's content store: never post them first.
      if ((await this.home.log.countPending(ns)) > 0)
        this.opts.log?.(`namespace ${ns}: no content store open, not pushed`);
      return { events: 0, opMessages: 0, packs: 0 };
    }
    const r = await pusher.push();
    return { events: r.events, opMessages: r.opMessages, packs: r.packs };
  }

  /**
   * The namespace's pusher — the mount's own when it runs one, so the two never race — with this engine's
   * bookkeeping attached once: posted messages are marked as our own (a pull skips them without reading them)
   * and their events enter the history.
   */
  private async pusherOf(ns: NamespaceId): Promise<OpPusher | undefined> {
    const known = this.pushers.get(ns);
    if (known !== undefined) return known;
    let pusher = this.opts.pusherFor?.(ns);
    if (pusher === undefined) {
      const chunks = ns === CLUSTER_NS ? undefined : await this.opts.chunksFor?.(ns);
      if (ns !== CLUSTER_NS && chunks === undefined) return undefined;
      pusher = new OpPusher(this.home.log, ns, chunks, this.store);
    }
    pusher.onPosted(async (messageId, batch) => {
      await this.state.markOwn(messageId);
      await this.recordPushed(ns, batch, messageId);
    });
    this.pushers.set(ns, pusher);
    return pusher;
  }

  private async recordPushed(
    ns: NamespaceId,
    batch: readonly PendingEntry[],
    messageId: MessageId | undefined,
  ) {
    const atMs = this.now();
    await this.state.addHistory(
      batch.map((e) => ({
        dir: 'push',
        ns,
        eventId: e.id,
        atMs,
        ...(messageId === undefined ? {} : { messageId }),
      })),
    );
  }

  // ---- pull --------------------------------------------------------------------------------------------

  private async pullAll(): Promise<PullReport> {
    try {
      const report = await this.pullInner();
      await this.state.update({
        lastPullMs: this.now(),
        lastPullError: undefined,
        pulledEvents: (this.state.status.pulledEvents ?? 0) + report.events,
        duplicateMessages: (this.state.status.duplicateMessages ?? 0) + report.duplicates,
      });
      return report;
    } catch (err) {
      await this.state.update({ lastPullError: describe(err) });
      throw err;
    }
  }

  private async pullInner(): Promise<PullReport> {
    const start = await this.state.lastSeen();
    const fresh: StoredMessage[] = [];
    for (let after = start; ; ) {
      const page = await this.store.list(after, LIST_PAGE);
      if (page.length === 0) break;
      fresh.push(...page);
      after = page[page.length - 1]!.id;
      this.opts.onProgress?.({ phase: 'list', done: fresh.length, total: 0 });
    }
    const last = fresh.length > 0 ? fresh[fresh.length - 1]!.id : start;

    // Content first: once a replica shows a file, its chunks must be findable.
    await this.indexChunks(last, fresh, start);

    const ops = fresh.flatMap((m) => {
      const c = parseCaption(m.caption);
      return c?.type === 'op' ? [{ id: m.id, ns: c.namespace }] : [];
    });
    const metas = fresh.filter((m) => {
      const c = parseCaption(m.caption);
      return c?.type === 'meta' && c.namespace === CLUSTER_NS;
    });
    if (metas.length > 0) await this.noteSnapshots(metas.map((m) => m.id));
    const held = new Map<MessageId, { id: MessageId; ns: NamespaceId }>();
    for (const b of await this.state.badMessages())
      if (b.held) held.set(b.messageId, { id: b.messageId, ns: b.ns });
    let events = 0;
    let duplicates = 0;
    let messages = 0;
    const rejected: BadMessage[] = [];
    const settle = async (m: { id: MessageId; ns: NamespaceId }, o: Outcome, wasHeld: boolean) => {
      messages++;
      if (o.kind === 'applied') events += o.events;
      if (o.kind === 'duplicate') duplicates++;
      if (o.kind === 'held' || o.kind === 'rejected') {
        const bad: BadMessage = {
          messageId: m.id,
          ns: m.ns,
          code: o.code,
          reason: o.reason,
          atMs: this.now(),
          held: o.kind === 'held',
        };
        if (o.kind === 'held') held.set(m.id, m);
        else {
          held.delete(m.id);
          rejected.push(bad);
          this.opts.log?.(`rejected op message ${m.id} (namespace ${m.ns}): ${o.reason}`);
        }
        await this.state.noteBad(bad);
      } else if (wasHeld) {
        held.delete(m.id);
        await this.state.forgetBad(m.id);
      }
      return o.kind === 'applied';
    };

    for (const [i, m] of ops.entries()) {
      await settle(m, await this.ingest(m.id, m.ns), false);
      this.opts.onProgress?.({ phase: 'pull', done: i + 1, total: ops.length });
      if ((i + 1) % CHECKPOINT_EVERY === 0) await this.state.setLastSeen(m.id);
    }
    // A gap closes when the missing events arrive, possibly in a later message: retry until nothing moves.
    for (let moved = true; moved && held.size > 0; ) {
      moved = false;
      for (const m of [...held.values()].sort((a, b) => a.id - b.id)) {
        if (await settle(m, await this.ingest(m.id, m.ns), true)) moved = true;
      }
    }
    await this.state.setLastSeen(last);
    // Namespaces this pull introduced (a NamespaceCreated from another machine) get their packs indexed too.
    await this.indexChunks(last, fresh, start);
    const stillHeld = (await this.state.badMessages()).filter((b) => b.held);
    for (const b of stillHeld) this.opts.log?.(`op message ${b.messageId} held back: ${b.reason}`);
    return { messages, events, duplicates, rejected, held: stillHeld };
  }

  /** Records where the packs of each namespace (with an open content store) are, up to message `last`. */
  /**
   * Records where the packs of each namespace (with an open content store) are, up to message `last`. What
   * this pull listed (`listed`, everything after `listedAfter`) is indexed from that listing; only a
   * namespace scanned less far (one this pull introduced) lists the store again from where it stopped.
   */
  private async indexChunks(
    last: MessageId,
    listed: readonly StoredMessage[],
    listedAfter: MessageId,
  ): Promise<void> {
    const chunksFor = this.opts.chunksFor;
    if (chunksFor === undefined) return;
    const namespaces = this.namespaces().filter((ns) => ns !== CLUSTER_NS);
    for (const [i, ns] of namespaces.entries()) {
      const scanned = await this.state.scanned(ns);
      if (scanned >= last) continue;
      const chunks = await chunksFor(ns);
      if (chunks === undefined) continue;
      this.opts.onProgress?.({ phase: 'index', done: i, total: namespaces.length });
      const r =
        scanned >= listedAfter
          ? { ...(await chunks.indexPacks(listed.filter((m) => m.id > scanned))), lastId: last }
          : await chunks.rebuildIndexFromStore(scanned);
      // Packs of a key epoch this home does not hold yet are not damaged: the scan stops short of the first,
      // so every pull looks at them again and indexes them once the home is unlocked with the new password.
      const waiting = r.failed.filter((f) => f.code === 'KEY_EPOCH_UNKNOWN').map((f) => f.messageId);
      if (waiting.length > 0) {
        this.opts.log?.(
          `namespace ${ns}: ${waiting.length} pack(s) of a newer key epoch wait for the new password`,
        );
        await this.state.setScanned(ns, Math.max(Math.min(...waiting) - 1, scanned));
        continue;
      }
      for (const f of r.failed) {
        await this.state.noteBad({
          messageId: f.messageId,
          ns,
          code: f.code,
          reason: `chunk pack: ${f.message}`,
          atMs: this.now(),
          held: false,
        });
      }
      await this.state.setScanned(ns, Math.max(r.lastId, scanned));
    }
  }

  private async ingest(messageId: MessageId, ns: NamespaceId): Promise<Outcome> {
    // Our own pushes come back in every listing: known without reading or verifying them again.
    if (await this.state.isOwn(messageId)) return { kind: 'own' };
    try {
      const bytes = await this.store.read(messageId);
      const msg = decodeOpMessage(bytes, messageId, ns);
      const eventKey = this.home.eventKey(ns);
      const records = msg.events.map(([id, sealed]) => {
        const se = openRecord(openRecordBox(eventKey, ns, id, sealed));
        if (se.id !== id) {
          throw new TgfsError(
            'EVENT_MALFORMED',
            `op message ${messageId}: the record listed as ${id} is event ${se.id}`,
          );
        }
        if (se.event.ns !== ns) {
          throw new TgfsError(
            'EVENT_MALFORMED',
            `op message ${messageId}: event ${id} belongs to namespace ${se.event.ns}`,
          );
        }
        return { se, sealed };
      });
      // Per author in seq order, so each link of a chain is checked against the one before it.
      records.sort((a, b) =>
        a.se.event.author === b.se.event.author
          ? a.se.event.seq - b.se.event.seq
          : a.se.event.author < b.se.event.author
            ? -1
            : 1,
      );
      const members = this.home.cluster.state.members;
      const ctx = await LogVerifyContext.prefetch(
        this.home.log,
        records.map((r) => r.se),
        (author) => members.get(author)?.publicKey,
      );
      const fresh: { se: SignedEvent; sealed: Uint8Array }[] = [];
      for (const r of records) {
        if (verifyEvent(r.se, ctx) === 'new') {
          ctx.accept(r.se);
          fresh.push(r);
        }
      }
      // A machine whose clock runs far ahead would drag every HLC in the cluster along with it: its events wait
      // (the whole message, so its chain stays in one piece) until local time catches up.
      const now = this.now();
      const ahead = fresh.find((r) => isTooFarAhead(r.se.event.hlc, now));
      if (ahead !== undefined) {
        const byMs = ahead.se.event.hlc.wallMs - now;
        throw new TgfsError(
          'EVENT_FROM_FUTURE',
          `event ${ahead.se.id} by ${ahead.se.event.author} is stamped ${Math.round(byMs / 1000)} s ahead of this machine's clock`,
        );
      }
      if (fresh.length === 0) {
        const own =
          (await this.state.isOwn(messageId)) ||
          records.every((r) => r.se.event.author === this.home.machineId);
        return { kind: own ? 'own' : 'duplicate' };
      }
      // Canonical order, so an open replica folds them without undoing its own tail more than needed.
      const entries = fresh
        .sort((a, b) => compareCanonical(positionOf(a.se.event), positionOf(b.se.event)))
        .map(({ se, sealed }) => ({
          event: se.event,
          entry: {
            id: se.id,
            ns,
            author: se.event.author,
            seq: se.event.seq,
            hlc: se.event.hlc,
            sealed,
            pending: false,
          },
        }));
      const sink = ns === CLUSTER_NS ? this.home.cluster : this.opts.replicaFor?.(ns);
      const newIds = new Set(
        sink === undefined
          ? await this.home.log.append(entries.map((e) => e.entry))
          : await sink.ingest(entries),
      );
      const applied = fresh.filter((r) => newIds.has(r.se.id)).map((r) => r.se);
      const atMs = this.now();
      await this.state.addHistory(
        applied.map((se): HistoryEntry => ({ dir: 'pull', ns, eventId: se.id, messageId, atMs })),
      );
      return { kind: 'applied', events: applied.length };
    } catch (err) {
      if (!isTgfsError(err) || err.code === 'STORE_UNAVAILABLE') throw err;
      const kind = RETRYABLE.has(err.code) ? 'held' : 'rejected';
      const why = err instanceof KeyEpochUnknownError ? await this.passwordChanged(err.epoch) : err.message;
      return { kind, code: err.code, reason: `${err.code}: ${why}` };
    }
  }

  /** The held reason of a record of key epoch `epoch`, which this home does not hold. */
  private async passwordChanged(epoch: number): Promise<string> {
    const read = () =>
      findKeyEpochs(this.store).then(
        (all) => new Map(all.map((e) => [e.epoch, e.createdAtMs])),
        () => new Map<number, number | undefined>(),
      );
    this.epochDates ??= read();
    if (!(await this.epochDates).has(epoch)) this.epochDates = read();
    const atMs = (await this.epochDates).get(epoch);
    const when = atMs === undefined ? '' : ` on ${new Date(atMs).toISOString().slice(0, 10)}`;
    return `the cluster's password changed${when} (key epoch ${epoch}): unlock with the new password`;
  }

  // ---- snapshots ---------------------------------------------------------------------------------------

  /**
   * A snapshot once the interval has passed and the log moved since the last one: whether this round moved it or
   * a mount's own pusher did in between (the engine's push then finds nothing to do).
   */
  private async snapshotIfDue(): Promise<MessageId | undefined> {
    const interval = this.opts.snapshotIntervalMs ?? 60 * 60_000;
    const last = this.state.status.lastSnapshotMs ?? 0;
    if (this.now() - last < interval) return undefined;
    // Unpushed events: the store does not hold what a checkpoint would cover yet. The next round.
    for (const ns of this.namespaces()) if ((await this.home.log.countPending(ns)) > 0) return undefined;
    const mark = await this.logMark();
    if (mark === this.state.status.snapshotMark) return undefined;
    try {
      const id = await this.writeSnapshotNow();
      await this.state.update({ snapshotMark: mark });
      return id;
    } catch (err) {
      // A snapshot only speeds up a rebuild: failing to write one is not a failed sync.
      this.opts.log?.(`snapshot not written (will retry): ${describe(err)}`);
      return undefined;
    }
  }

  private async writeSnapshotNow(): Promise<MessageId> {
    const snap = await takeSnapshot(
      this.home.log,
      this.home.cluster.state,
      this.home.machineId,
      await this.state.lastSeen(),
      this.now(),
    );
    const checkpoints: Record<NamespaceId, Uint8Array> = {};
    for (const ns of this.home.cluster.state.namespaces.keys()) {
      const cp = await this.opts.checkpointFor?.(ns);
      if (cp !== undefined) checkpoints[ns] = cp;
    }
    const withCheckpoints = Object.keys(checkpoints).length > 0 ? { ...snap, checkpoints } : snap;
    const id = await writeSnapshot(this.store, this.home.eventKey(CLUSTER_NS), withCheckpoints);
    // The manifest's directory now points here: a new machine finds namespaces and snapshot without a scan.
    await writeManifestDirectory(this.store, this.home.eventKey(CLUSTER_NS), {
      namespaces: snap.namespaces.map((n) => ({ id: n.id, name: n.name, mode: n.mode })),
      snapshot: id,
    });
    await this.state.update({ lastSnapshotMs: this.now() });
    await this.noteSnapshots([id]);
    await this.trimSnapshots();
    return id;
  }

  /** How far every chain of the log reaches, as one string: equal exactly when nothing was added. */
  private async logMark(): Promise<string> {
    const parts: string[] = [];
    for (const ns of this.namespaces()) {
      let total = 0;
      for (const head of (await this.home.log.headsOf(ns)).values()) total += head.seq;
      parts.push(`${ns}:${total}`);
    }
    return parts.join(',');
  }

  private async noteSnapshots(ids: readonly MessageId[]): Promise<void> {
    const known = new Set(this.state.status.snapshotIds ?? []);
    for (const id of ids) known.add(id);
    await this.state.update({ snapshotIds: [...known].sort((a, b) => a - b) });
  }

  /** Keeps the newest `snapshotRetention` snapshots: a snapshot is a cache, the events stay the truth. */
  private async trimSnapshots(): Promise<void> {
    const keep = this.opts.snapshotRetention;
    const known = this.state.status.snapshotIds ?? [];
    if (keep === undefined || known.length <= keep) return;
    const old = known.slice(0, known.length - keep);
    try {
      await this.store.delete(old);
      await this.state.update({ snapshotIds: known.slice(known.length - keep) });
    } catch (err) {
      this.opts.log?.(`old snapshots not deleted (will retry): ${describe(err)}`);
    }
  }
}

function describe(err: unknown): string {
  return isTgfsError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}
