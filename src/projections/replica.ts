import { BehaviorSubject, type Observable } from 'rxjs';
import { openRecordBox } from '../events/event-seal.js';
import { type Emitted, EventWriter } from '../events/event-writer.js';
import type { OpLog } from '../events/op-log.js';
import { openRecord } from '../events/signing.js';
import type {
  EventBodies,
  EventType,
  Hlc,
  MachineId,
  NamespaceId,
  SignedEvent,
  TgfsEvent,
} from '../events/types.js';
import { merge } from '../events/vector-clock.js';

/** A pure projection: the initial state and the reducer that folds one event in. */
export interface ProjectionSpec<S> {
  initial(): S;
  evolve(state: S, event: TgfsEvent): S;
}

export interface LocalMachine {
  readonly id: MachineId;
  readonly privateKey: Uint8Array;
}

/**
 * One namespace on this machine: the op log replayed into a projection, then kept live as this machine
 * commits events (and, with sync, as others' arrive). The state is exposed as an observable for views.
 */
export class Replica<S> {
  private readonly subject: BehaviorSubject<S>;

  private constructor(
    private readonly log: OpLog,
    readonly ns: NamespaceId,
    private readonly eventKey: Uint8Array,
    private readonly spec: ProjectionSpec<S>,
    private readonly writer: EventWriter,
    initial: S,
  ) {
    this.subject = new BehaviorSubject(initial);
  }

  static async open<S>(
    log: OpLog,
    ns: NamespaceId,
    eventKey: Uint8Array,
    machine: LocalMachine,
    spec: ProjectionSpec<S>,
  ): Promise<Replica<S>> {
    let state = spec.initial();
    let clock = {};
    let hlc: Hlc = { wallMs: 0, counter: 0 };
    for await (const { id, sealed } of log.replay(ns)) {
      const event = decodeStored(eventKey, ns, id, sealed).event;
      state = spec.evolve(state, event);
      clock = merge(clock, event.clock);
      if (
        event.hlc.wallMs > hlc.wallMs ||
        (event.hlc.wallMs === hlc.wallMs && event.hlc.counter > hlc.counter)
      ) {
        hlc = event.hlc;
      }
    }
    const head = await log.headOf(ns, machine.id);
    const writer = new EventWriter(ns, machine.id, machine.privateKey, eventKey, {
      seq: head?.seq ?? 0,
      prev: head === undefined ? null : Uint8Array.from(Buffer.from(head.id, 'hex')),
      clock,
      hlc,
    });
    return new Replica(log, ns, eventKey, spec, writer, state);
  }

  get state(): S {
    return this.subject.value;
  }

  get state$(): Observable<S> {
    return this.subject.asObservable();
  }

  /**
   * Emits the commands as events, folds them into the state at once (so the next call sees them) and resolves
   * when they are durable in the local log. The whole list lands in one synced batch: it is atomic.
   */
  async commit(commands: ReadonlyArray<Command>): Promise<SignedEvent[]> {
    const emitted: Emitted[] = commands.map((c) => this.writer.emit(c.type, c.body as never));
    let state = this.subject.value;
    for (const e of emitted) state = this.spec.evolve(state, e.signed.event);
    this.subject.next(state);
    await this.log.append(emitted.map((e) => e.entry));
    return emitted.map((e) => e.signed);
  }

  /** Folds in events that another machine wrote (already verified and stored in the log). */
  applyRemote(events: readonly TgfsEvent[]): void {
    let state = this.subject.value;
    for (const e of events) {
      state = this.spec.evolve(state, e);
      this.writer.observe(e.clock, e.hlc);
    }
    this.subject.next(state);
  }

  decode(id: string, sealed: Uint8Array): SignedEvent {
    return decodeStored(this.eventKey, this.ns, id, sealed);
  }
}

export type Command = { [K in EventType]: { type: K; body: EventBodies[K] } }[EventType];

export function decodeStored(
  eventKey: Uint8Array,
  ns: NamespaceId,
  id: string,
  sealed: Uint8Array,
): SignedEvent {
  return openRecord(openRecordBox(eventKey, ns, id, sealed));
}
