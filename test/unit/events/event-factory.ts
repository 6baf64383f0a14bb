import { randomUUID } from 'node:crypto';
import { eventIdBytes } from '../../../src/events/event-id.js';
import { receive, tick, ZERO_HLC } from '../../../src/events/hlc.js';
import { generateMachineKeyPair, signEvent } from '../../../src/events/signing.js';
import type {
  EventBodies,
  EventType,
  Hlc,
  MachineId,
  NamespaceId,
  SignedEvent,
  TgfsEvent,
  VectorClock,
} from '../../../src/events/types.js';
import { CLUSTER_NS, schemaVersionOf } from '../../../src/events/types.js';
import { emptyClock, increment, merge } from '../../../src/events/vector-clock.js';

/**
 * Test machines that emit well-formed signed events: each keeps, per namespace, its seq, previous id, vector
 * clock and HLC, like a real machine's op log would. Shared by the events, projections and sync tests.
 */

/** Deterministic default time, so property tests replay identically; HLC counters make events distinct. */
export const DEFAULT_NOW_MS = 1_700_000_000_000;

interface ChainState {
  seq: number;
  prev: Uint8Array | null;
  clock: VectorClock;
  hlc: Hlc;
}

export interface TestMachine {
  readonly id: MachineId;
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
  /** Per namespace; mutated by emit and observe. */
  readonly chains: Map<NamespaceId, ChainState>;
}

export function makeMachine(name = 'machine', id: MachineId = randomUUID()): TestMachine {
  const { publicKey, privateKey } = generateMachineKeyPair();
  return { id, name, publicKey, privateKey, chains: new Map() };
}

function chainOf(machine: TestMachine, ns: NamespaceId): ChainState {
  let chain = machine.chains.get(ns);
  if (chain === undefined) {
    chain = { seq: 0, prev: null, clock: emptyClock, hlc: ZERO_HLC };
    machine.chains.set(ns, chain);
  }
  return chain;
}

/** Signs the machine's next event in `ns` and advances its chain, clock and HLC. */
export function emit<K extends EventType>(
  machine: TestMachine,
  ns: NamespaceId,
  type: K,
  body: EventBodies[K],
  nowMs: number = DEFAULT_NOW_MS,
): SignedEvent {
  const chain = chainOf(machine, ns);
  const event = {
    v: schemaVersionOf(type, body),
    ns,
    author: machine.id,
    seq: chain.seq + 1,
    prev: chain.prev,
    clock: increment(chain.clock, machine.id),
    hlc: tick(chain.hlc, nowMs),
    type,
    body,
  } as TgfsEvent;
  const se = signEvent(event, machine.privateKey);
  chain.seq = event.seq;
  chain.prev = eventIdBytes(se.payload);
  chain.clock = event.clock;
  chain.hlc = event.hlc;
  return se;
}

/** The machine has seen `se`: its next event in that namespace happens after it. */
export function observe(machine: TestMachine, se: SignedEvent, nowMs: number = DEFAULT_NOW_MS): void {
  const chain = chainOf(machine, se.event.ns);
  chain.clock = merge(chain.clock, se.event.clock);
  chain.hlc = receive(chain.hlc, se.event.hlc, nowMs);
}

/** The machine's self-introduction in the cluster namespace. */
export function emitJoin(machine: TestMachine, nowMs: number = DEFAULT_NOW_MS): SignedEvent {
  return emit(
    machine,
    CLUSTER_NS,
    'MachineJoined',
    { machine: machine.id, name: machine.name, publicKey: machine.publicKey, createdAtMs: nowMs },
    nowMs,
  );
}
