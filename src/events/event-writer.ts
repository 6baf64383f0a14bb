import type { KeyInput } from '../crypto/epoch-box.js';
import { encodeRecord } from './codec.js';
import { sealRecord } from './event-seal.js';
import { tick } from './hlc.js';
import type { LogEntry } from './op-log.js';
import { signEvent } from './signing.js';
import type {
  EventBodies,
  EventType,
  Hlc,
  MachineId,
  NamespaceId,
  SignedEvent,
  TgfsEvent,
  VectorClock,
} from './types.js';
import { schemaVersionOf } from './types.js';
import { increment, merge } from './vector-clock.js';

/** What an author needs to continue its hash chain in one namespace. */
export interface WriterPosition {
  readonly seq: number;
  readonly prev: Uint8Array | null;
  readonly clock: VectorClock;
  readonly hlc: Hlc;
}

export interface Emitted {
  readonly signed: SignedEvent;
  readonly entry: LogEntry;
}

/**
 * Turns commands into signed, sealed events for one (machine, namespace): assigns seq, prev, vector clock and
 * HLC. `emit` is synchronous so that concurrent FUSE calls can never hand out one seq twice.
 */
export class EventWriter {
  private position: WriterPosition;

  constructor(
    private readonly ns: NamespaceId,
    private readonly author: MachineId,
    private readonly privateKey: Uint8Array,
    private readonly eventKey: KeyInput,
    start: WriterPosition,
    private readonly now: () => number = Date.now,
  ) {
    this.position = start;
  }

  /** Where the author's chain, clock and HLC stand (what a checkpoint records). */
  get current(): WriterPosition {
    return this.position;
  }

  /** Goes back to an earlier position: the events emitted since never reached the log (a failed append). */
  restore(position: WriterPosition): void {
    this.position = position;
  }

  /** Folds in what the author has seen of others (their clocks and HLCs), so new events sort after them. */
  observe(clock: VectorClock, hlc: Hlc): void {
    const p = this.position;
    const laterHlc =
      hlc.wallMs > p.hlc.wallMs || (hlc.wallMs === p.hlc.wallMs && hlc.counter > p.hlc.counter);
    this.position = { ...p, clock: merge(p.clock, clock), hlc: laterHlc ? hlc : p.hlc };
  }

  emit<K extends EventType>(type: K, body: EventBodies[K]): Emitted {
    const p = this.position;
    const seq = p.seq + 1;
    const hlc = tick(p.hlc, this.now());
    const clock = increment(p.clock, this.author);
    const event = {
      v: schemaVersionOf(type, body),
      ns: this.ns,
      author: this.author,
      seq,
      prev: p.prev,
      clock,
      hlc,
      type,
      body,
    } as TgfsEvent;
    const signed = signEvent(event, this.privateKey);
    this.position = { seq, prev: hexToBytes(signed.id), clock, hlc };
    const sealed = sealRecord(
      this.eventKey,
      this.ns,
      signed.id,
      encodeRecord(signed.payload, signed.signature),
    );
    return {
      signed,
      entry: {
        id: signed.id,
        ns: this.ns,
        author: this.author,
        seq,
        hlc,
        sealed,
        pending: true,
        fresh: true,
      },
    };
  }
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
