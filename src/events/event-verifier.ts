import { bytesToHex } from '@noble/hashes/utils.js';
import { machineIdFits } from '../crypto/ids.js';
import { TgfsError } from '../errors.js';
import { eventId } from './event-id.js';
import { compareHlc } from './hlc.js';
import { verifySignature } from './signing.js';
import type { EventId, Hlc, MachineId, NamespaceId, SignedEvent } from './types.js';

/** What the verifier needs to know about events already accepted (the op log, or memory in tests). */
export interface VerifyContext {
  /** The raw Ed25519 key a member introduced with its MachineJoined; undefined for a stranger. */
  publicKeyOf(author: MachineId): Uint8Array | undefined;
  /** Id of the accepted event at this position of the author's chain in `ns`. */
  idAt(ns: NamespaceId, author: MachineId, seq: number): EventId | undefined;
  /** The last accepted event of the author's chain in `ns`. */
  headOf(ns: NamespaceId, author: MachineId): { seq: number; id: EventId; hlc?: Hlc } | undefined;
}

/**
 * Decides whether a signed event (from openRecord or signEvent) may enter the log: 'new' to append it,
 * 'duplicate' when exactly this event is already there. Anything else throws, naming the event:
 * EVENT_UNKNOWN_AUTHOR, EVENT_SIGNATURE_INVALID, MACHINE_KEY_CONFLICT (a self-introduction whose key is not
 * the one the machine id is bound to), HASH_CHAIN_FORK (the author signed two different events for one
 * position, or the chain does not link), EVENT_BACKDATED (the HLC goes back along the author's chain),
 * HASH_CHAIN_GAP (earlier events of the chain are missing; the caller may retry once they arrive).
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
  // A machine introduces itself: its own MachineJoined is checked against the key it carries, and that key
  // must be the one its id is derived from (a legacy random id: the one it was first accepted with). Whether
  // the newcomer is admitted is the membership projection's decision, not the verifier's.
  if (e.type === 'MachineJoined' && e.body.machine === e.author) {
    const fits = machineIdFits(e.author, e.body.publicKey);
    const rebinds = key !== undefined && !sameBytes(key, e.body.publicKey);
    if (fits === false || (fits === 'legacy' && rebinds)) {
      throw new TgfsError(
        'MACHINE_KEY_CONFLICT',
        `${where}: introduces machine ${e.author} with a key that is not bound to it (a forged identity)`,
      );
    }
    key = e.body.publicKey;
  }
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
  if (head.hlc !== undefined && compareHlc(e.hlc, head.hlc) <= 0) {
    throw new TgfsError(
      'EVENT_BACKDATED',
      `${where}: stamped ${new Date(e.hlc.wallMs).toISOString()}, not after the author's previous event (${new Date(head.hlc.wallMs).toISOString()})`,
    );
  }
  return 'new';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A VerifyContext in memory: for tests, and for the sync engine to check a batch before it touches the log. */
export class MemoryVerifyContext implements VerifyContext {
  readonly #keys = new Map<MachineId, Uint8Array>();
  /** `${ns}/${author}` → ids by seq - 1. */
  readonly #chains = new Map<string, EventId[]>();
  readonly #headHlc = new Map<string, Hlc>();

  addMachine(machine: MachineId, publicKey: Uint8Array): void {
    this.#keys.set(machine, publicKey);
  }

  publicKeyOf(author: MachineId): Uint8Array | undefined {
    return this.#keys.get(author);
  }

  idAt(ns: NamespaceId, author: MachineId, seq: number): EventId | undefined {
    return this.#chains.get(`${ns}/${author}`)?.[seq - 1];
  }

  headOf(ns: NamespaceId, author: MachineId): { seq: number; id: EventId; hlc?: Hlc } | undefined {
    const key = `${ns}/${author}`;
    const chain = this.#chains.get(key);
    const id = chain?.[chain.length - 1];
    const hlc = this.#headHlc.get(key);
    if (chain === undefined || id === undefined) return undefined;
    return hlc === undefined ? { seq: chain.length, id } : { seq: chain.length, id, hlc };
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
    this.#headHlc.set(key, e.hlc);
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
