import type { ClassicLevel } from 'classic-level';
import { type Observable, Subject } from 'rxjs';
import { TgfsError } from '../errors.js';
import { orderKey } from './canonical-order.js';
import { GuardedLevel } from './guarded-level.js';
import type { EventId, Hlc, MachineId, NamespaceId } from './types.js';

/**
 * The local op log on classic-level, laid out like the seed's sled tree, one sublevel per tree:
 *   machine/identity                       this machine's identity (sealed private key)
 *   cluster/kdf, cluster/snapshots/…       KDF salt/params/key check; projection snapshots
 *   events/{ns}/{eventId}                  sealed signed record (encrypted with the namespace event key)
 *   order/{ns}/{orderKey}                  eventId, in canonical (hlc, author, seq) order
 *   chain/{ns}/{author}/{seq}              eventId: the per-author hash chain
 *   heads/{ns}/{author}                    newest {seq, id} of that author's chain
 *   checkpoints/{ns}                       a sealed projection checkpoint (see Replica)
 *   sync/pending_ops/{ns}/{orderKey}       eventId of local events not yet pushed to the store
 *   sync/…                                 vector clocks, applied ops, last seen message id
 *   guard/healed-at                        written by GuardedLevel when it heals after a failed write
 * Only metadata (namespace, author, seq, HLC) is stored in clear; event contents are sealed by the caller.
 * Appends are group-committed: every append that arrives while a synced batch is being written joins the next one.
 * On a full disk an append fails with NO_SPACE and changes nothing; earlier appends stay readable and durable, and
 * appends work again once space is freed (GuardedLevel).
 */

export interface LogEntry {
  readonly id: EventId;
  readonly ns: NamespaceId;
  readonly author: MachineId;
  readonly seq: number;
  readonly hlc: Hlc;
  /** The sealed record as it is kept at rest. */
  readonly sealed: Uint8Array;
  /** A local event waiting to be pushed to the store. */
  readonly pending: boolean;
  /**
   * Emitted just now by this machine's writer, whose seq follows the chain head it holds: new by construction,
   * so the append looks nothing up for it. A lookup of a key that is not there reads a block of every level's
   * table; on a large log those reads would keep most of the mapped table files resident.
   */
  readonly fresh?: boolean;
}

export interface PendingEntry {
  readonly key: string;
  readonly id: EventId;
  readonly sealed: Uint8Array;
}

export interface ChainHead {
  readonly seq: number;
  readonly id: EventId;
  /** The head event's HLC, so the next link can be checked not to go back in time; absent in old homes. */
  readonly hlc?: Hlc;
}

type Bytes = Uint8Array;

import type { AbstractSublevel } from 'abstract-level';

// biome-ignore lint/suspicious/noExplicitAny: sublevels nest; only their key/value types matter here
export type Sub = AbstractSublevel<any, string | Uint8Array | Buffer, string, Bytes>;

/** What the records of not yet pushed events may hold in memory (OpLog.unpushed). */
const UNPUSHED_MAX_BYTES = 8 * 1024 * 1024;

function seqKey(seq: number): string {
  return seq.toString(16).padStart(10, '0');
}

interface QueuedAppend {
  readonly entries: readonly LogEntry[];
  readonly sync: boolean;
  resolve(newIds: EventId[]): void;
  reject(err: unknown): void;
}

export class OpLog {
  private readonly events: Sub;
  private readonly order: Sub;
  private readonly chain: Sub;
  private readonly heads: Sub;
  private readonly pending: Sub;
  private readonly syncMarker: Sub;
  private queue: QueuedAppend[] = [];
  /**
   * The sealed records of pending events this process appended, by `${ns}/${id}`, until they are pushed: the
   * pusher takes them from here instead of looking each up. Lookups of ids (random keys) read a block of every
   * level's table, and LevelDB maps its tables, so on a large log they would keep most of it resident. Bounded:
   * past the bound (a store out of reach for long), later ones are looked up as before.
   */
  private readonly unpushed = new Map<string, Bytes>();
  private unpushedBytes = 0;
  private writing: Promise<void> | undefined;
  private readonly pendingAdded = new Subject<NamespaceId>();
  /**
   * A namespace whose pending set (local events not yet pushed) just grew, once per written group: whoever
   * pushes reacts to this, so nothing below the application layer needs to know that pushing exists.
   */
  readonly pendingAdded$: Observable<NamespaceId> = this.pendingAdded.asObservable();

  private constructor(readonly db: ClassicLevel<string, Bytes>) {
    const sub = (name: string) => db.sublevel<string, Bytes>(name, { valueEncoding: 'view' });
    this.events = sub('events');
    this.order = sub('order');
    this.chain = sub('chain');
    this.heads = sub('heads');
    this.pending = db.sublevel('sync').sublevel<string, Bytes>('pending_ops', { valueEncoding: 'view' });
    this.syncMarker = db.sublevel('sync').sublevel<string, Bytes>('marker', { valueEncoding: 'view' });
  }

  /** Opens (creating if needed) the log; a home already open elsewhere is HOME_LOCKED. */
  static async open(location: string): Promise<OpLog> {
    // Every write of the home (log, chunk index, sync state, checkpoints) goes through this one database, so a
    // failed write — a full disk — is healed here for all of them (see GuardedLevel).
    const db = new GuardedLevel(location);
    try {
      await db.open();
    } catch (cause) {
      const code = (cause as { cause?: { code?: string } }).cause?.code;
      if (code === 'LEVEL_LOCKED') {
        throw new TgfsError(
          'HOME_LOCKED',
          `this home is in use by another tgcryptfs process (a mount?): ${location} is locked; unmount it or stop that process first`,
          { cause },
        );
      }
      throw new TgfsError(
        'HOME_DAMAGED',
        `cannot open the op log at ${location}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    return new OpLog(db);
  }

  /** A named area of the same database for other parts of the home (identity, chunk index, sync state). */
  area(name: string): Sub {
    return this.db.sublevel<string, Bytes>(name, { valueEncoding: 'view' });
  }

  /**
   * Appends entries and resolves with the ids that were new; idempotent by event id. With `sync` (the
   * default) they are durable when this resolves: the group's LevelDB batch is written with fsync. Without it
   * they are written but not forced to disk; LevelDB keeps one ordered log, so any later synced write makes
   * them durable too (a file's Create becomes durable with the Write its close commits).
   */
  append(entries: readonly LogEntry[], opts: { sync?: boolean } = {}): Promise<EventId[]> {
    return new Promise<EventId[]>((resolve, reject) => {
      this.queue.push({ entries, sync: opts.sync ?? true, resolve, reject });
      if (this.writing === undefined) this.writing = this.drain();
    });
  }

  /** Makes every append issued so far durable (fsyncdir, and anything else that asks for durability alone). */
  async sync(): Promise<void> {
    await this.append([], { sync: true });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        const results = await this.writeGroup(
          group.map((g) => g.entries),
          group.some((g) => g.sync),
        );
        for (const [i, g] of group.entries()) g.resolve(results[i] ?? []);
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.writing = undefined;
  }

  private async writeGroup(groups: ReadonlyArray<readonly LogEntry[]>, sync: boolean): Promise<EventId[][]> {
    const all = groups.flat();
    const keys = all.map((e) => `${e.ns}/${e.id}`);
    const existing = await this.existing(all, keys);
    const seen = new Set<string>();
    const batch = this.db.batch();
    const heads = new Map<string, ChainHead>();
    const fresh = all.map((e, i) => {
      const key = keys[i]!;
      if (existing[i] !== undefined || seen.has(key)) return false;
      seen.add(key);
      const ok = orderKey(e);
      batch.put(key, e.sealed, { sublevel: this.events });
      batch.put(`${e.ns}/${ok}`, utf8(e.id), { sublevel: this.order });
      batch.put(`${e.ns}/${e.author}/${seqKey(e.seq)}`, utf8(e.id), { sublevel: this.chain });
      if (e.pending) batch.put(`${e.ns}/${ok}`, utf8(e.id), { sublevel: this.pending });
      const hk = `${e.ns}/${e.author}`;
      const h = heads.get(hk);
      if (h === undefined || e.seq > h.seq) heads.set(hk, { seq: e.seq, id: e.id, hlc: e.hlc });
      return true;
    });
    if (heads.size > 0) {
      const current = await this.heads.getMany([...heads.keys()]);
      [...heads.entries()].forEach(([k, h], i) => {
        const cur = current[i];
        if (cur === undefined || decodeHead(cur).seq < h.seq)
          batch.put(k, encodeHead(h), { sublevel: this.heads });
      });
    }
    if (batch.length === 0 && sync) {
      // Nothing new to write, but durability was asked for: a synced write flushes everything before it.
      batch.put('synced-at', utf8(String(Date.now())), { sublevel: this.syncMarker });
    }
    if (batch.length > 0) await batch.write({ sync });
    else await batch.close();
    all.forEach((e, i) => {
      if (fresh[i] && e.pending && this.unpushedBytes + e.sealed.length <= UNPUSHED_MAX_BYTES) {
        this.unpushed.set(keys[i]!, e.sealed);
        this.unpushedBytes += e.sealed.length;
      }
    });
    const grew = new Set<NamespaceId>();
    all.forEach((e, i) => {
      if (fresh[i] && e.pending) grew.add(e.ns);
    });
    for (const ns of grew) this.pendingAdded.next(ns);
    let at = 0;
    return groups.map((g) => {
      const ids: EventId[] = [];
      for (const e of g) {
        if (fresh[at]) ids.push(e.id);
        at++;
      }
      return ids;
    });
  }

  /** The stored records under `keys`, looked up only for entries not `fresh`. */
  private async existing(
    all: readonly LogEntry[],
    keys: readonly string[],
  ): Promise<ReadonlyArray<Bytes | undefined>> {
    const asked = keys.filter((_, i) => all[i]!.fresh !== true);
    if (asked.length === 0) return [];
    if (asked.length === keys.length) return this.events.getMany([...keys]);
    const found = await this.events.getMany(asked);
    let at = 0;
    return all.map((e) => (e.fresh === true ? undefined : found[at++]));
  }

  async has(ns: NamespaceId, id: EventId): Promise<boolean> {
    return (await this.events.get(`${ns}/${id}`)) !== undefined;
  }

  async getSealed(ns: NamespaceId, id: EventId): Promise<Uint8Array | undefined> {
    return this.events.get(`${ns}/${id}`);
  }

  async headOf(ns: NamespaceId, author: MachineId): Promise<ChainHead | undefined> {
    const v = await this.heads.get(`${ns}/${author}`);
    return v === undefined ? undefined : decodeHead(v);
  }

  async headsOf(ns: NamespaceId): Promise<Map<MachineId, ChainHead>> {
    const out = new Map<MachineId, ChainHead>();
    for await (const [k, v] of this.heads.iterator({ gt: `${ns}/`, lt: `${ns}/\xff` })) {
      out.set(k.slice(ns.length + 1), decodeHead(v));
    }
    return out;
  }

  async idAt(ns: NamespaceId, author: MachineId, seq: number): Promise<EventId | undefined> {
    const v = await this.chain.get(`${ns}/${author}/${seqKey(seq)}`);
    return v === undefined ? undefined : fromUtf8(v);
  }

  /** Every event of a namespace in canonical order: (id, sealed record). */
  async *replay(ns: NamespaceId): AsyncGenerator<{ id: EventId; sealed: Uint8Array }> {
    yield* this.eventsNamedBy(ns, this.order.values({ gt: `${ns}/`, lt: `${ns}/\xff` }));
  }

  /**
   * The events of a namespace that a projection has not folded yet, given what it has: for each author, the
   * chain after `foldedUpTo(author)` (every seq up to it folded). Order: by author, then seq; the reducers
   * converge whatever the order.
   */
  async *replayBeyond(
    ns: NamespaceId,
    foldedUpTo: (author: MachineId) => number,
  ): AsyncGenerator<{ id: EventId; sealed: Uint8Array }> {
    for (const [author, head] of await this.headsOf(ns)) {
      const from = foldedUpTo(author);
      if (from >= head.seq) continue;
      yield* this.eventsNamedBy(
        ns,
        this.chain.values({
          gt: `${ns}/${author}/${seqKey(from)}`,
          lte: `${ns}/${author}/${seqKey(head.seq)}`,
        }),
      );
    }
  }

  /** The sealed events an index names, in the index's order, fetched 512 at a time. */
  private async *eventsNamedBy(
    ns: NamespaceId,
    index: AsyncIterable<Uint8Array>,
  ): AsyncGenerator<{ id: EventId; sealed: Uint8Array }> {
    const ids: string[] = [];
    const flush = async function* (self: OpLog) {
      const values = await self.events.getMany(ids.map((id) => `${ns}/${id}`));
      for (const [i, id] of ids.entries()) {
        const sealed = values[i];
        if (sealed === undefined)
          throw new TgfsError('HOME_DAMAGED', `op log index names missing event ${id}`);
        yield { id, sealed };
      }
      ids.length = 0;
    };
    for await (const v of index) {
      ids.push(fromUtf8(v));
      if (ids.length >= 512) yield* flush(this);
    }
    yield* flush(this);
  }

  /** Local events not yet pushed, in canonical order, with the sealed record of each. */
  async pendingEntries(ns: NamespaceId, limit = 10_000): Promise<PendingEntry[]> {
    const keys: string[] = [];
    const ids: EventId[] = [];
    for await (const [k, v] of this.pending.iterator({ gt: `${ns}/`, lt: `${ns}/\xff`, limit })) {
      keys.push(k);
      ids.push(fromUtf8(v));
    }
    const missing = ids.map((id) => `${ns}/${id}`).filter((k) => !this.unpushed.has(k));
    const found = new Map<string, Bytes | undefined>();
    if (missing.length > 0) {
      const values = await this.events.getMany(missing);
      for (const [i, k] of missing.entries()) found.set(k, values[i]);
    }
    return ids.map((id, i) => {
      const s = this.unpushed.get(`${ns}/${id}`) ?? found.get(`${ns}/${id}`);
      if (s === undefined)
        throw new TgfsError('HOME_DAMAGED', `pending event ${id} is missing from the op log`);
      return { key: keys[i]!, id, sealed: s };
    });
  }

  /** Marks events as pushed (one synced batch). */
  async clearPending(entries: readonly PendingEntry[]): Promise<void> {
    const batch = this.db.batch();
    for (const e of entries) batch.del(e.key, { sublevel: this.pending });
    await batch.write({ sync: true });
    for (const e of entries) {
      // A pending key is `${ns}/${orderKey}`; the namespace id has no '/'.
      const key = `${e.key.slice(0, e.key.indexOf('/'))}/${e.id}`;
      const sealed = this.unpushed.get(key);
      if (sealed === undefined) continue;
      this.unpushed.delete(key);
      this.unpushedBytes -= sealed.length;
    }
  }

  async countPending(ns: NamespaceId): Promise<number> {
    let n = 0;
    for await (const _ of this.pending.keys({ gt: `${ns}/`, lt: `${ns}/\xff` })) n++;
    return n;
  }

  async close(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    this.pendingAdded.complete();
    await this.db.close();
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}
/** `seq:id:wallMs:counter`; homes written before heads carried the HLC hold `seq:id`. */
function encodeHead(h: ChainHead): Uint8Array {
  return utf8(h.hlc === undefined ? `${h.seq}:${h.id}` : `${h.seq}:${h.id}:${h.hlc.wallMs}:${h.hlc.counter}`);
}
function decodeHead(b: Uint8Array): ChainHead {
  const [seq, id, wallMs, counter] = fromUtf8(b).split(':');
  const head = { seq: Number(seq), id: id! };
  return wallMs === undefined ? head : { ...head, hlc: { wallMs: Number(wallMs), counter: Number(counter) } };
}
