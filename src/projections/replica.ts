import { from, map, type Observable, Subject } from 'rxjs';
import { openRecordBox } from '../events/event-seal.js';
import { EventWriter } from '../events/event-writer.js';
import { compareHlc, ZERO_HLC } from '../events/hlc.js';
import type { OpLog } from '../events/op-log.js';
import { openRecordWithId } from '../events/signing.js';
import type {
  EventBodies,
  EventType,
  Hlc,
  MachineId,
  NamespaceId,
  SignedEvent,
  TgfsEvent,
  VectorClock,
} from '../events/types.js';
import { emptyClock, merge } from '../events/vector-clock.js';
import { Projection } from './projection.js';

/** A pure projection: the initial state and the reducer that folds one event in. */
export interface ProjectionSpec<S> {
  initial(): S;
  evolve(state: S, event: TgfsEvent): S;
}

export interface LocalMachine {
  readonly id: MachineId;
  readonly privateKey: Uint8Array;
}

export type Command = { [K in EventType]: { type: K; body: EventBodies[K] } }[EventType];

/**
 * One namespace on this machine: the op log replayed into a projection, then kept live as this machine
 * commits events and as other machines' events arrive. The views the FUSE layer and the CLI read are the
 * projection's state.
 */
export class Replica<S> {
  private constructor(
    private readonly log: OpLog,
    readonly ns: NamespaceId,
    private readonly eventKey: Uint8Array,
    private readonly projection: Projection<S>,
    private readonly live: Subject<TgfsEvent>,
    private readonly writer: EventWriter,
  ) {}

  static async open<S>(
    log: OpLog,
    ns: NamespaceId,
    eventKey: Uint8Array,
    machine: LocalMachine,
    spec: ProjectionSpec<S>,
  ): Promise<Replica<S>> {
    const projection = new Projection(spec.initial(), spec.evolve);
    const live = new Subject<TgfsEvent>();
    // While replaying, also gather what this machine has seen, so its next event sorts after all of it.
    let clock: VectorClock = emptyClock;
    let hlc: Hlc = ZERO_HLC;
    const replay$: Observable<TgfsEvent> = from(log.replay(ns)).pipe(
      map(({ id, sealed }) => {
        const event = decodeStored(eventKey, ns, id, sealed).event;
        clock = merge(clock, event.clock);
        if (compareHlc(event.hlc, hlc) > 0) hlc = event.hlc;
        return event;
      }),
    );
    projection.start(replay$, live);
    await projection.whenReplayed();
    const head = await log.headOf(ns, machine.id);
    const writer = new EventWriter(ns, machine.id, machine.privateKey, eventKey, {
      seq: head?.seq ?? 0,
      prev: head === undefined ? null : Uint8Array.from(Buffer.from(head.id, 'hex')),
      clock,
      hlc,
    });
    return new Replica(log, ns, eventKey, projection, live, writer);
  }

  get state(): S {
    return this.projection.current();
  }

  get state$(): Observable<S> {
    return this.projection.state$;
  }

  /**
   * Emits the commands as events, folds them into the state at once (so the next FUSE call sees them) and
   * resolves when they are in the local log — durable on disk too unless `durable: false` (see OpLog.append).
   * The whole list lands in one batch: it is atomic.
   */
  async commit(commands: ReadonlyArray<Command>, opts: { durable?: boolean } = {}): Promise<SignedEvent[]> {
    const emitted = commands.map((c) => this.writer.emit(c.type, c.body as never));
    for (const e of emitted) this.live.next(e.signed.event);
    await this.log.append(
      emitted.map((e) => e.entry),
      { sync: opts.durable ?? true },
    );
    return emitted.map((e) => e.signed);
  }

  /** Makes every commit so far durable. */
  async sync(): Promise<void> {
    await this.log.sync();
  }

  /** Folds in events another machine wrote (already verified and in the log). */
  applyRemote(events: readonly TgfsEvent[]): void {
    for (const e of events) {
      this.writer.observe(e.clock, e.hlc);
      this.live.next(e);
    }
  }

  decode(id: string, sealed: Uint8Array): SignedEvent {
    return decodeStored(this.eventKey, this.ns, id, sealed);
  }
}

/**
 * Opens a sealed record from the log. The seal's associated data binds the event id, and only this home's
 * keys sealed it (after verifying the event, for one pulled from the store), so the id is not recomputed.
 */
export function decodeStored(
  eventKey: Uint8Array,
  ns: NamespaceId,
  id: string,
  sealed: Uint8Array,
): SignedEvent {
  return openRecordWithId(openRecordBox(eventKey, ns, id, sealed), id);
}
