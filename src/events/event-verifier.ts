import { bytesToHex } from '@noble/hashes/utils.js';
import { TgfsError } from '../errors.js';
import { eventId } from './event-id.js';
import { verifySignature } from './signing.js';
import type { EventId, MachineId, NamespaceId, SignedEvent } from './types.js';

/** What the verifier needs to know about events already accepted (the op log, or memory in tests). */
export interface VerifyContext {
  /** The raw Ed25519 key a member introduced with its MachineJoined; undefined for a stranger. */
  publicKeyOf(author: MachineId): Uint8Array | undefined;
  /** Id of the accepted event at this position of the author's chain in `ns`. */
  idAt(ns: NamespaceId, author: MachineId, seq: number): EventId | undefined;
  /** The last accepted event of the author's chain in `ns`. */
  headOf(ns: NamespaceId, author: MachineId): { seq: number; id: EventId } | undefined;
}

/**
 * Decides whether a signed event (from openRecord or signEvent) may enter the log: 'new' to append it,
 * 'duplicate' when exactly this event is already there. Anything else throws, naming the event:
 * EVENT_UNKNOWN_AUTHOR, EVENT_SIGNATURE_INVALID, HASH_CHAIN_FORK (the author signed two different events for
 * one position, or the chain does not link), HASH_CHAIN_GAP (earlier events of the chain are missing; the
 * caller may retry once they arrive).
 *
 * The signature is checked before anything else is believed, duplicates included: a damaged copy of a known
 * event is reported, not waved through.
 */
export function verifyEvent(se: SignedEvent, ctx: VerifyContext): 'new' | 'duplicate' {
  const e = se.event;
  const where = `event ${se.id} (author ${e.author}, namespace ${e.ns}, seq ${e.seq})`;
  if (eventId(se.payload) !== se.id) {
    throw new TgfsError('EVENT_MALFORMED', `${where}: the id is not the hash of the payload`);
  }

  let key = ctx.publicKeyOf(e.author);
  // A machine introduces itself: its own MachineJoined is checked against the key it carries. Whether the
  // newcomer is admitted is the membership projection's decision, not the verifier's.
  if (key === undefined && e.type === 'MachineJoined' && e.body.machine === e.author) key = e.body.publicKey;
  if (key === undefined)
    throw new TgfsError('EVENT_UNKNOWN_AUTHOR', `${where}: no key known for this author`);
  if (!verifySignature(se, key)) {
    throw new TgfsError('EVENT_SIGNATURE_INVALID', `${where}: the signature does not match the author's key`);
  }

  const known = ctx.idAt(e.ns, e.author, e.seq);
  if (known === se.id) return 'duplicate';
  if (known !== undefined) {
    throw new TgfsError('HASH_CHAIN_FORK', `${where}: the author already signed event ${known} at this seq`);
  }

  const prev = e.prev === null ? null : bytesToHex(e.prev);
  const head = ctx.headOf(e.ns, e.author);
  if (head === undefined) {
    if (e.seq !== 1) {
      throw new TgfsError(
        'HASH_CHAIN_GAP',
        `${where}: none of this chain is known yet, seq 1 to ${e.seq - 1} missing`,
      );
    }
    if (prev !== null) throw new TgfsError('HASH_CHAIN_FORK', `${where}: a first event must have no prev`);
    return 'new';
  }
  if (e.seq <= head.seq) {
    // The context forgot this position, so a duplicate cannot be told from a fork: refuse rather than guess.
    throw new TgfsError('HASH_CHAIN_FORK', `${where}: seq at or below head ${head.seq} with no known id`);
  }
  if (e.seq > head.seq + 1) {
    throw new TgfsError(
      'HASH_CHAIN_GAP',
      `${where}: head is seq ${head.seq}, seq ${head.seq + 1} to ${e.seq - 1} missing`,
    );
  }
  if (prev !== head.id) {
    throw new TgfsError('HASH_CHAIN_FORK', `${where}: prev ${prev ?? 'null'} is not the head ${head.id}`);
  }
  return 'new';
}

/** A VerifyContext in memory: for tests, and for the sync engine to check a batch before it touches the log. */
export class MemoryVerifyContext implements VerifyContext {
  readonly #keys = new Map<MachineId, Uint8Array>();
  /** `${ns}/${author}` → ids by seq - 1. */
  readonly #chains = new Map<string, EventId[]>();

  addMachine(machine: MachineId, publicKey: Uint8Array): void {
    this.#keys.set(machine, publicKey);
  }

  publicKeyOf(author: MachineId): Uint8Array | undefined {
    return this.#keys.get(author);
  }

  idAt(ns: NamespaceId, author: MachineId, seq: number): EventId | undefined {
    return this.#chains.get(`${ns}/${author}`)?.[seq - 1];
  }

  headOf(ns: NamespaceId, author: MachineId): { seq: number; id: EventId } | undefined {
    const chain = this.#chains.get(`${ns}/${author}`);
    const id = chain?.[chain.length - 1];
    return chain === undefined || id === undefined ? undefined : { seq: chain.length, id };
  }

  /** Records an event verifyEvent called 'new'; a self-introduction also registers the machine's key. */
  accept(se: SignedEvent): void {
    const e = se.event;
    const key = `${e.ns}/${e.author}`;
    const chain = this.#chains.get(key) ?? [];
    if (e.seq !== chain.length + 1) {
      throw new TypeError(`accept: seq ${e.seq} does not extend chain ${key} of length ${chain.length}`);
    }
    chain.push(se.id);
    this.#chains.set(key, chain);
    if (e.type === 'MachineJoined' && e.body.machine === e.author && !this.#keys.has(e.author)) {
      this.#keys.set(e.author, e.body.publicKey);
    }
  }

  /** verifyEvent, then accept when new. */
  ingest(se: SignedEvent): 'new' | 'duplicate' {
    const verdict = verifyEvent(se, this);
    if (verdict === 'new') this.accept(se);
    return verdict;
  }
}
