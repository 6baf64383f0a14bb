import { decode, encode } from 'cbor-x';
import { from, map, type Observable, Subject } from 'rxjs';
import { open, seal } from '../crypto/xchacha.js';
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
  /** How to store the state in a checkpoint; without it every open replays the whole log. */
  readonly checkpoint?: {
    encode(state: S): Uint8Array;
    decode(bytes: Uint8Array): S;
    /** How far the state has folded each author's chain: every seq up to the author's number is in it. */
    folded(state: S): ReadonlyMap<MachineId, number>;
  };
}

/**
 * A sealed checkpoint: a state and the writer's clocks. What it covers needs no bookkeeping of its own — the
 * state knows which of each author's events it folded — so an open replays exactly the rest of each chain.
 */
interface CheckpointRecord {
  readonly v: 2;
  readonly clock: VectorClock;
  readonly hlc: Hlc;
  readonly state: Uint8Array;
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
    private readonly spec: ProjectionSpec<S>,
    private readonly projection: Projection<S>,
    private readonly live: Subject<TgfsEvent>,
    private readonly writer: EventWriter,
    private readonly machineId: MachineId,
  ) {}

  static async open<S>(
    log: OpLog,
    ns: NamespaceId,
    eventKey: Uint8Array,
    machine: LocalMachine,
    spec: ProjectionSpec<S>,
  ): Promise<Replica<S>> {
    const saved = await loadCheckpoint(log, ns, eventKey, spec);
    const projection = new Projection(saved?.state ?? spec.initial(), spec.evolve);
    const live = new Subject<TgfsEvent>();
    // While replaying, also gather what this machine has seen, so its next event sorts after all of it.
    let clock: VectorClock = saved?.clock ?? emptyClock;
    let hlc: Hlc = saved?.hlc ?? ZERO_HLC;
    // From a checkpoint, only the rest of each author's chain: the reducers converge whatever the order.
    const codec = spec.checkpoint;
    const source =
      saved === undefined || codec === undefined
        ? log.replay(ns)
        : log.replayBeyond(ns, (author) => saved.folded.get(author) ?? 0);
    const replay$: Observable<TgfsEvent> = from(source).pipe(
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
    return new Replica(log, ns, eventKey, spec, projection, live, writer, machine.id);
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

  /**
   * Stores the state so the next open folds only newer events. Take it when nothing else is appending to this
   * namespace (a mount's close, after sync stopped): every event in the log must already be folded in.
   */
  async saveCheckpoint(): Promise<void> {
    const codec = this.spec.checkpoint;
    if (codec === undefined) return;
    await Replica.installCheckpoint(this.log, this.ns, this.eventKey, this.checkpointRecord(codec));
  }

  /**
   * The checkpoint to share in a `meta` snapshot, or undefined while this machine has folded events the store
   * does not hold yet (another machine rebuilding from the snapshot must find every event it covers).
   */
  async checkpointIfPushed(): Promise<Uint8Array | undefined> {
    const codec = this.spec.checkpoint;
    if (codec === undefined) return undefined;
    const head = await this.log.headOf(this.ns, this.machineId);
    if ((await this.log.pendingEntries(this.ns, 1)).length > 0) return undefined;
    // Equal means nothing was committed since the two reads above: every event folded here is pushed.
    if ((codec.folded(this.state).get(this.machineId) ?? 0) !== (head?.seq ?? 0)) return undefined;
    return this.checkpointRecord(codec);
  }

  private checkpointRecord(codec: NonNullable<ProjectionSpec<S>['checkpoint']>): Uint8Array {
    const { clock, hlc } = this.writer.current;
    const record: CheckpointRecord = { v: 2, clock, hlc, state: codec.encode(this.state) };
    return encode(record);
  }

  /** Stores a checkpoint taken elsewhere (a snapshot's) as this home's; the next open checks and uses it. */
  // Not synced on purpose: a checkpoint is a cache, and LevelDB writes it whole or not at all; an older one
  // only means replaying more.
  static async installCheckpoint(
    log: OpLog,
    ns: NamespaceId,
    eventKey: Uint8Array,
    record: Uint8Array,
  ): Promise<void> {
    await log.area('checkpoints').put(ns, seal(eventKey, record, checkpointAad(ns)));
  }

  decode(id: string, sealed: Uint8Array): SignedEvent {
    return decodeStored(this.eventKey, this.ns, id, sealed);
  }
}

function checkpointAad(ns: NamespaceId): Uint8Array {
  return new TextEncoder().encode(`tgfs:v1:${ns}:checkpoint`);
}

/** A checkpoint is a cache: one that is missing, damaged or of another version means a full replay. */
async function loadCheckpoint<S>(
  log: OpLog,
  ns: NamespaceId,
  eventKey: Uint8Array,
  spec: ProjectionSpec<S>,
): Promise<{ state: S; folded: ReadonlyMap<MachineId, number>; clock: VectorClock; hlc: Hlc } | undefined> {
  const codec = spec.checkpoint;
  if (codec === undefined) return undefined;
  const sealed = await log.area('checkpoints').get(ns);
  if (sealed === undefined) return undefined;
  let state: S;
  let record: CheckpointRecord;
  try {
    record = decode(open(eventKey, sealed, checkpointAad(ns))) as CheckpointRecord;
    if (record.v !== 2) return undefined;
    state = codec.decode(record.state);
  } catch {
    return undefined;
  }
  const folded = codec.folded(state);
  // A state that folded events this log does not hold (a log restored from an older copy) cannot be resumed.
  const heads = await log.headsOf(ns);
  for (const [author, upTo] of folded) if (upTo > (heads.get(author)?.seq ?? 0)) return undefined;
  return { state, folded, clock: record.clock, hlc: record.hlc };
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
