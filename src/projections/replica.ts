import { decode, encode } from 'cbor-x';
import { BehaviorSubject, from, map, type Observable, Subject, type Subscription } from 'rxjs';
import { checkpointAad } from '../crypto/contexts.js';
import { type KeyInput, openInEpoch, sealInEpoch } from '../crypto/epoch-box.js';
import { TgfsError } from '../errors.js';
import { openRecordBox } from '../events/event-seal.js';
import { EventWriter } from '../events/event-writer.js';
import { compareHlc, ZERO_HLC } from '../events/hlc.js';
import type { LogEntry, OpLog } from '../events/op-log.js';
import { openRecordWithId } from '../events/signing.js';
import type {
  EventBodies,
  EventId,
  EventType,
  Hlc,
  MachineId,
  NamespaceId,
  SignedEvent,
  TgfsEvent,
  VectorClock,
} from '../events/types.js';
import { emptyClock, merge } from '../events/vector-clock.js';
import { mayIssue, type NamespacePolicy, openPolicy } from './policy/namespace-policy.js';
import { type PolicedReducers, reducerUnder } from './policy/policed-reducer.js';
import { Projection } from './projection.js';

/** A pure projection: the initial state and the reducers that fold one event in. */
export interface ProjectionSpec<S> extends PolicedReducers<S> {
  initial(): S;
  /** How to store the state in a checkpoint; without it every open replays the whole log. */
  readonly checkpoint?: {
    encode(state: S): Uint8Array;
    decode(bytes: Uint8Array): S;
    /** How far the state has folded each author's chain: every seq up to the author's number is in it. */
    folded(state: S): ReadonlyMap<MachineId, number>;
  };
}

/**
 * A sealed checkpoint: a state, the writer's clocks, and the policy it was folded under (a state folded under
 * another policy may count other events). What it covers needs no bookkeeping of its own — the state knows
 * which of each author's events it folded — so an open replays exactly the rest of each chain.
 */
interface CheckpointRecord {
  readonly v: 3;
  readonly clock: VectorClock;
  readonly hlc: Hlc;
  readonly policy: string;
  readonly state: Uint8Array;
}

export interface LocalMachine {
  readonly id: MachineId;
  readonly privateKey: Uint8Array;
}

export type Command = { [K in EventType]: { type: K; body: EventBodies[K] } }[EventType];

/** Commands, or how to make them from the state they are decided against (see Replica.commit). */
export type Commands<S> = ReadonlyArray<Command> | ((state: S) => ReadonlyArray<Command>);

export interface ReplicaOptions {
  /**
   * The namespace's policy as the cluster state moves (it must emit the current one on subscribe). Without it
   * every event counts, as for the cluster namespace.
   */
  readonly policy$?: Observable<NamespacePolicy>;
}

/**
 * One namespace on this machine: the op log replayed into a projection, then kept live as this machine
 * commits events and as other machines' events arrive. The views the FUSE layer and the CLI read are the
 * projection's state.
 *
 * One intake: a local commit and a pulled event take the same path — checked (the signature and chain by the
 * caller for pulled events; `mayIssue` before signing for local ones), appended to the log, then folded through
 * the policy (`counts`). Nothing is folded that the log does not hold, and a failed append leaves neither the
 * state nor the writer's seq moved.
 */
export class Replica<S> {
  private projection: Projection<S>;
  private projectionSub: Subscription;
  private readonly states: BehaviorSubject<S>;
  private policy: NamespacePolicy;
  private policySub: Subscription | undefined;
  private refolding: Promise<void> = Promise.resolve();
  /** How many events the open folded from the log: all of them, or only those after a checkpoint. */
  replayedOnOpen = 0;
  /** Serialises local commits: a command list is decided against the state every earlier commit left. */
  private intake: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly log: OpLog,
    readonly ns: NamespaceId,
    private readonly eventKey: KeyInput,
    private readonly spec: ProjectionSpec<S>,
    start: { projection: Projection<S>; subscription: Subscription; policy: NamespacePolicy },
    private readonly live: Subject<TgfsEvent>,
    private readonly writer: EventWriter,
    private readonly machineId: MachineId,
  ) {
    this.projection = start.projection;
    this.projectionSub = start.subscription;
    this.policy = start.policy;
    this.states = new BehaviorSubject(start.projection.current());
    this.forwardStates();
  }

  static async open<S>(
    log: OpLog,
    ns: NamespaceId,
    eventKey: KeyInput,
    machine: LocalMachine,
    spec: ProjectionSpec<S>,
    opts: ReplicaOptions = {},
  ): Promise<Replica<S>> {
    let policy = openPolicy(ns);
    opts.policy$?.subscribe((p) => (policy = p)).unsubscribe();
    const saved = await loadCheckpoint(log, ns, eventKey, spec, policy);
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
    let replayed = 0;
    const replay$: Observable<TgfsEvent> = from(source).pipe(
      map(({ id, sealed }) => {
        replayed++;
        const event = decodeStored(eventKey, ns, id, sealed).event;
        clock = merge(clock, event.clock);
        if (compareHlc(event.hlc, hlc) > 0) hlc = event.hlc;
        return event;
      }),
    );
    const projection = new Projection(saved?.state ?? spec.initial(), reducerUnder(spec, policy));
    const subscription = projection.start(replay$, live);
    await projection.whenReplayed();
    const head = await log.headOf(ns, machine.id);
    const writer = new EventWriter(ns, machine.id, machine.privateKey, eventKey, {
      seq: head?.seq ?? 0,
      prev: head === undefined ? null : Uint8Array.from(Buffer.from(head.id, 'hex')),
      clock,
      hlc,
    });
    const replica = new Replica(
      log,
      ns,
      eventKey,
      spec,
      { projection, subscription, policy },
      live,
      writer,
      machine.id,
    );
    replica.replayedOnOpen = replayed;
    replica.followPolicy(opts.policy$);
    return replica;
  }

  get state(): S {
    return this.projection.current();
  }

  /** The state now, then after every change (re-folds included). */
  get state$(): Observable<S> {
    return this.states.asObservable();
  }

  /** The policy the state is folded under. */
  get currentPolicy(): NamespacePolicy {
    return this.policy;
  }

  /**
   * Emits the commands as events, appends them to the log and folds them in; resolves when the state shows
   * them (so the next FUSE call sees them) and they are durable on disk too unless `durable: false`. The whole
   * list lands in one batch: it is atomic. Given a function, the commands are decided against the state that
   * every earlier commit left, with no other commit in between (two creates of one name: the second sees the
   * first). A command the policy refuses fails the whole commit before anything is signed.
   */
  async commit(commands: Commands<S>, opts: { durable?: boolean } = {}): Promise<SignedEvent[]> {
    const committed = this.serially(async () => {
      const list = typeof commands === 'function' ? commands(this.state) : commands;
      for (const c of list) {
        const verdict = mayIssue(this.policy, this.machineId, c);
        if (!verdict.allowed) throw new TgfsError(verdict.code, verdict.reason);
      }
      const before = this.writer.current;
      const emitted = list.map((c) => this.writer.emit(c.type, c.body as never));
      try {
        // Not synced here: a durable commit syncs below, outside the intake, so that syncs group-commit.
        await this.log.append(
          emitted.map((e) => e.entry),
          { sync: false },
        );
      } catch (err) {
        this.writer.restore(before);
        throw err;
      }
      this.fold(emitted.map((e) => e.signed.event));
      return emitted.map((e) => e.signed);
    });
    const signed = await committed;
    if (opts.durable ?? true) await this.log.sync();
    return signed;
  }

  /** Makes every commit so far durable. */
  async sync(): Promise<void> {
    await this.log.sync();
  }

  /**
   * Other machines' events, verified by the caller: appended (idempotently, one synced batch), then the new
   * ones folded. Resolves with the ids that were new.
   */
  async ingest(entries: ReadonlyArray<{ entry: LogEntry; event: TgfsEvent }>): Promise<EventId[]> {
    const fresh = await this.log.append(entries.map((e) => e.entry));
    const isNew = new Set(fresh);
    this.applyRemote(entries.filter((e) => isNew.has(e.entry.id)).map((e) => e.event));
    return fresh;
  }

  /** Folds in events another machine wrote that are already in the log. */
  applyRemote(events: readonly TgfsEvent[]): void {
    for (const e of events) this.writer.observe(e.clock, e.hlc);
    this.fold(events);
  }

  /** Resolves once a re-fold for a policy change, if one runs, is done. */
  settled(): Promise<void> {
    return this.refolding;
  }

  close(): void {
    this.policySub?.unsubscribe();
    this.projectionSub.unsubscribe();
    this.states.complete();
  }

  /**
   * Stores the state so the next open folds only newer events. Take it when nothing else is appending to this
   * namespace (a mount's close, after sync stopped): every event in the log must already be folded in.
   */
  async saveCheckpoint(): Promise<void> {
    const codec = this.spec.checkpoint;
    if (codec === undefined) return;
    await this.refolding;
    await Replica.installCheckpoint(this.log, this.ns, this.eventKey, this.checkpointRecord(codec));
  }

  /**
   * The checkpoint to share in a `meta` snapshot, or undefined while this machine has folded events the store
   * does not hold yet (another machine rebuilding from the snapshot must find every event it covers).
   */
  async checkpointIfPushed(): Promise<Uint8Array | undefined> {
    const codec = this.spec.checkpoint;
    if (codec === undefined) return undefined;
    await this.refolding;
    const head = await this.log.headOf(this.ns, this.machineId);
    if ((await this.log.pendingEntries(this.ns, 1)).length > 0) return undefined;
    // Equal means nothing was committed since the two reads above: every event folded here is pushed.
    if ((codec.folded(this.state).get(this.machineId) ?? 0) !== (head?.seq ?? 0)) return undefined;
    return this.checkpointRecord(codec);
  }

  private checkpointRecord(codec: NonNullable<ProjectionSpec<S>['checkpoint']>): Uint8Array {
    const { clock, hlc } = this.writer.current;
    const record: CheckpointRecord = {
      v: 3,
      clock,
      hlc,
      policy: this.policy.key,
      state: codec.encode(this.state),
    };
    return encode(record);
  }

  /** Stores a checkpoint taken elsewhere (a snapshot's) as this home's; the next open checks and uses it. */
  // Not synced on purpose: a checkpoint is a cache, and LevelDB writes it whole or not at all; an older one
  // only means replaying more.
  static async installCheckpoint(
    log: OpLog,
    ns: NamespaceId,
    eventKey: KeyInput,
    record: Uint8Array,
  ): Promise<void> {
    await log.area('checkpoints').put(
      ns,
      sealInEpoch(eventKey, record, (e) => checkpointAad(ns, e)),
    );
  }

  /** The state in this home's checkpoint of `ns` (as of the last unmount), or undefined when there is none. */
  static async checkpointedState<S>(
    log: OpLog,
    ns: NamespaceId,
    eventKey: KeyInput,
    spec: ProjectionSpec<S>,
  ): Promise<S | undefined> {
    const codec = spec.checkpoint;
    const sealed = await log.area('checkpoints').get(ns);
    if (codec === undefined || sealed === undefined) return undefined;
    try {
      const r = decode(openInEpoch(eventKey, sealed, (e) => checkpointAad(ns, e))) as CheckpointRecord;
      return r.v === 3 ? codec.decode(r.state) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Installs a checkpoint taken elsewhere (a snapshot's) when it folded more of the namespace's chains than the
   * one this home holds; resolves with whether it did. One that does not decode is not taken.
   */
  static async installCheckpointIfFurther<S>(
    log: OpLog,
    ns: NamespaceId,
    eventKey: KeyInput,
    spec: ProjectionSpec<S>,
    record: Uint8Array,
  ): Promise<boolean> {
    const codec = spec.checkpoint;
    if (codec === undefined) return false;
    const coverage = (bytes: Uint8Array): number => {
      const r = decode(bytes) as CheckpointRecord;
      if (r.v !== 3) return -1;
      let n = 0;
      for (const upTo of codec.folded(codec.decode(r.state)).values()) n += upTo;
      return n;
    };
    let offered: number;
    try {
      offered = coverage(record);
    } catch {
      return false;
    }
    if (offered < 0) return false;
    const sealed = await log.area('checkpoints').get(ns);
    if (sealed !== undefined) {
      try {
        if (coverage(openInEpoch(eventKey, sealed, (e) => checkpointAad(ns, e))) >= offered) return false;
      } catch {
        // A damaged local checkpoint is replaced.
      }
    }
    await Replica.installCheckpoint(log, ns, eventKey, record);
    return true;
  }

  decode(id: string, sealed: Uint8Array): SignedEvent {
    return decodeStored(this.eventKey, this.ns, id, sealed);
  }

  /** The one place events enter the state: each goes through the policy the projection was built under. */
  private fold(events: readonly TgfsEvent[]): void {
    for (const e of events) this.live.next(e);
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const result = this.intake.then(run);
    this.intake = result.catch(() => undefined);
    return result;
  }

  private forwardStates(): void {
    this.projectionSub.add(this.projection.state$.subscribe((s) => this.states.next(s)));
  }

  private followPolicy(policy$: Observable<NamespacePolicy> | undefined): void {
    this.policySub = policy$?.subscribe((p) => {
      if (p.key === this.policy.key) return;
      this.policy = p;
      const done = this.refolding.then(() => this.refold(p));
      this.refolding = done.catch(() => undefined);
    });
  }

  /**
   * The policy changed (a mode, a master, later the members or ACLs): what counts may differ for any event
   * already folded, so the whole log is folded again under the new policy. Reads keep the old state until the
   * new one is complete; live events reach both meanwhile.
   */
  private async refold(policy: NamespacePolicy): Promise<void> {
    const projection = new Projection(this.spec.initial(), reducerUnder(this.spec, policy));
    const replay$ = from(this.log.replay(this.ns)).pipe(
      map(({ id, sealed }) => decodeStored(this.eventKey, this.ns, id, sealed).event),
    );
    const subscription = projection.start(replay$, this.live);
    await projection.whenReplayed();
    if (policy !== this.policy) {
      // Overtaken by a newer policy, whose re-fold follows.
      subscription.unsubscribe();
      return;
    }
    this.projectionSub.unsubscribe();
    this.projection = projection;
    this.projectionSub = subscription;
    this.forwardStates();
  }
}

/** A checkpoint is a cache: one that is missing, damaged, of another version or policy means a full replay. */
async function loadCheckpoint<S>(
  log: OpLog,
  ns: NamespaceId,
  eventKey: KeyInput,
  spec: ProjectionSpec<S>,
  policy: NamespacePolicy,
): Promise<{ state: S; folded: ReadonlyMap<MachineId, number>; clock: VectorClock; hlc: Hlc } | undefined> {
  const codec = spec.checkpoint;
  if (codec === undefined) return undefined;
  const sealed = await log.area('checkpoints').get(ns);
  if (sealed === undefined) return undefined;
  let state: S;
  let record: CheckpointRecord;
  try {
    record = decode(openInEpoch(eventKey, sealed, (e) => checkpointAad(ns, e))) as CheckpointRecord;
    if (record.v !== 3 || record.policy !== policy.key) return undefined;
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
  eventKey: KeyInput,
  ns: NamespaceId,
  id: string,
  sealed: Uint8Array,
): SignedEvent {
  return openRecordWithId(openRecordBox(eventKey, ns, id, sealed), id);
}
