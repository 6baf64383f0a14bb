import { decode, encode } from 'cbor-x';
import type { Sub } from '../../events/op-log.js';
import type { EventId, NamespaceId } from '../../events/types.js';
import type { MessageId } from '../store/message-store.js';

/**
 * Sync bookkeeping, persisted in the home's `sync` area of the op log (next to `sync/pending_ops`):
 *   lastSeen              highest message id the pull has looked at
 *   status                last push/pull times and errors, flood wait, counters
 *   bad:{msgId}           a rejected (or held back) message and why
 *   own:{msgId}           op messages this machine posted (skipped silently when pulled back)
 *   scan:{ns}             highest message id whose chunk packs are in that namespace's chunk index
 *   snap                  when the last snapshot was written
 *   h:{n}                 history: event ids pushed and pulled, newest last (bounded)
 * Only ids, times and error texts are kept here: event contents stay sealed in the log, and `sync history`
 * opens them with the namespace key when it is shown.
 */

export interface SyncStatusRecord {
  readonly lastPushMs?: number;
  readonly lastPullMs?: number;
  readonly lastPushError?: string;
  readonly lastPullError?: string;
  /** A flood wait the store asked for, and until when. */
  readonly floodWaitMs?: number;
  readonly floodWaitUntilMs?: number;
  readonly pushedEvents?: number;
  readonly pulledEvents?: number;
  /** Op messages whose events were all known already (a re-post after a lost reply, or a replay). */
  readonly duplicateMessages?: number;
  readonly lastSnapshotMs?: number;
  /** `meta` snapshot messages known to be in the store (pulled or written), oldest first: retention trims it. */
  readonly snapshotIds?: readonly MessageId[];
  /** How far the log reached at the last snapshot (SyncEngine.logMark): no new snapshot until it moves. */
  readonly snapshotMark?: string;
}

export interface BadMessage {
  readonly messageId: MessageId;
  readonly ns: NamespaceId;
  /** The TgfsError code: EVENT_SIGNATURE_INVALID, DECRYPT_FAILED, HASH_CHAIN_GAP, STORE_CORRUPT, … */
  readonly code: string;
  readonly reason: string;
  readonly atMs: number;
  /** Held back (a gap or an author not known yet): retried on every pull, changes nothing until it fits. */
  readonly held: boolean;
}

export interface HistoryEntry {
  readonly dir: 'push' | 'pull';
  readonly ns: NamespaceId;
  readonly eventId: EventId;
  readonly messageId?: MessageId;
  readonly atMs: number;
}

const MAX_HISTORY = 10_000;

function idKey(id: number): string {
  return id.toString(16).padStart(14, '0');
}

export class SyncState {
  private current: SyncStatusRecord;
  private nextHistory: number;

  private constructor(
    private readonly area: Sub,
    current: SyncStatusRecord,
    nextHistory: number,
  ) {
    this.current = current;
    this.nextHistory = nextHistory;
  }

  static async open(area: Sub): Promise<SyncState> {
    const raw = await area.get('status');
    const status = raw === undefined ? {} : (decode(raw) as SyncStatusRecord);
    let next = 0;
    for await (const k of area.keys({ gte: 'h:', lt: 'h;', reverse: true, limit: 1 })) {
      next = Number.parseInt(k.slice(2), 16) + 1;
    }
    return new SyncState(area, status, next);
  }

  get status(): SyncStatusRecord {
    return this.current;
  }

  async update(patch: Partial<SyncStatusRecord>): Promise<void> {
    this.current = { ...this.current, ...patch };
    await this.area.put('status', encode(this.current));
  }

  async lastSeen(): Promise<MessageId> {
    return numberAt(await this.area.get('lastSeen'));
  }

  async setLastSeen(id: MessageId): Promise<void> {
    await this.area.put('lastSeen', encode(id));
  }

  async scanned(ns: NamespaceId): Promise<MessageId> {
    return numberAt(await this.area.get(`scan:${ns}`));
  }

  async setScanned(ns: NamespaceId, id: MessageId): Promise<void> {
    await this.area.put(`scan:${ns}`, encode(id));
  }

  async markOwn(id: MessageId): Promise<void> {
    await this.area.put(`own:${idKey(id)}`, new Uint8Array(0));
  }

  async isOwn(id: MessageId): Promise<boolean> {
    return (await this.area.get(`own:${idKey(id)}`)) !== undefined;
  }

  async noteBad(m: BadMessage): Promise<void> {
    await this.area.put(`bad:${idKey(m.messageId)}`, encode(m));
  }

  async forgetBad(id: MessageId): Promise<void> {
    await this.area.del(`bad:${idKey(id)}`);
  }

  /** Rejected and held messages, oldest message first. */
  async badMessages(): Promise<BadMessage[]> {
    const out: BadMessage[] = [];
    for await (const v of this.area.values({ gte: 'bad:', lt: 'bad;' })) out.push(decode(v) as BadMessage);
    return out;
  }

  async addHistory(entries: readonly HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const batch = this.area.batch();
    for (const e of entries) batch.put(`h:${idKey(this.nextHistory++)}`, encode(e));
    await batch.write();
    if (this.nextHistory > MAX_HISTORY) {
      await this.area.clear({ gte: 'h:', lt: `h:${idKey(this.nextHistory - MAX_HISTORY)}` });
    }
  }

  /** The newest `limit` history entries, oldest first. */
  async history(limit = 100): Promise<HistoryEntry[]> {
    const out: HistoryEntry[] = [];
    for await (const v of this.area.values({ gte: 'h:', lt: 'h;', reverse: true, limit })) {
      out.push(decode(v) as HistoryEntry);
    }
    return out.reverse();
  }
}

function numberAt(v: Uint8Array | undefined): number {
  return v === undefined ? 0 : (decode(v) as number);
}
