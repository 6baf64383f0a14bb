/**
 * A tiny cluster simulator for convergence tests: machines emit namespace events from their own view (with
 * per-author seqs, vector clocks and hybrid logical clocks that respect happened-before), and a network delivers
 * them in a chosen order, with duplicates, partitions and heals.
 */
import { compareCanonical } from '../../../src/events/canonical-order.js';
import {
  type EventBodies,
  type EventType,
  type Hlc,
  type InodeId,
  type MachineId,
  ROOT_INODE,
  schemaVersionOf,
  type TgfsEvent,
  TRASH_INODE,
  type VectorClock,
} from '../../../src/events/types.js';
import { merge } from '../../../src/events/vector-clock.js';
import { evolve } from '../../../src/projections/namespace/evolve.js';
import { entriesOf, nodeOf } from '../../../src/projections/namespace/queries.js';
import { initialNamespaceState, type NamespaceState } from '../../../src/projections/namespace/state.js';
import { NS } from './event-builders.js';

export type Step =
  | {
      readonly t: 'op';
      readonly m: number;
      readonly kind: number;
      readonly a: number;
      readonly b: number;
      readonly c: number;
    }
  | { readonly t: 'deliver'; readonly to: number; readonly pick: number; readonly dup: boolean }
  | { readonly t: 'cut'; readonly a: number; readonly b: number }
  | { readonly t: 'heal' }
  | { readonly t: 'tick'; readonly ms: number };

const NAMES = ['a', 'b', 'c', 'd'];

class Machine {
  seq = 0;
  clock: VectorClock = {};
  hlc: Hlc = { wallMs: 0, counter: 0 };
  state: NamespaceState = initialNamespaceState();
  readonly emitted: TgfsEvent[] = [];
  readonly received = new Set<string>();

  constructor(
    readonly index: number,
    readonly id: MachineId,
    /** Clock skew, so physical clocks disagree as real ones do. */
    readonly skewMs: number,
  ) {}

  /** HLC send rule: never behind the physical clock, always after everything seen. */
  stampSend(physicalMs: number): Hlc {
    const wallMs = Math.max(this.hlc.wallMs, physicalMs);
    this.hlc = { wallMs, counter: wallMs === this.hlc.wallMs ? this.hlc.counter + 1 : 0 };
    return this.hlc;
  }

  stampReceive(remote: Hlc, physicalMs: number): void {
    const wallMs = Math.max(this.hlc.wallMs, remote.wallMs, physicalMs);
    let counter = 0;
    if (wallMs === this.hlc.wallMs && wallMs === remote.wallMs)
      counter = Math.max(this.hlc.counter, remote.counter) + 1;
    else if (wallMs === this.hlc.wallMs) counter = this.hlc.counter + 1;
    else if (wallMs === remote.wallMs) counter = remote.counter + 1;
    this.hlc = { wallMs, counter };
  }
}

export class Simulator {
  readonly machines: Machine[];
  /** Messages in flight: destination machine and event. */
  readonly inFlight: Array<{ to: number; event: TgfsEvent }> = [];
  /** cut[a][b]: no delivery between a and b. */
  readonly cut: boolean[][];
  nowMs = 1_000_000;

  constructor(machineCount: number) {
    this.machines = Array.from(
      { length: machineCount },
      (_, i) =>
        new Machine(
          i,
          `${(i + 1).toString(16).repeat(8)}-0000-4000-8000-${i.toString().padStart(12, '0')}`,
          i * 3 - 4,
        ),
    );
    this.cut = this.machines.map(() => this.machines.map(() => false));
  }

  run(step: Step): void {
    switch (step.t) {
      case 'op':
        this.op(this.machines[step.m % this.machines.length]!, step.kind, step.a, step.b, step.c);
        this.nowMs += 1;
        return;
      case 'deliver':
        this.deliver(step.to % this.machines.length, step.pick, step.dup);
        return;
      case 'cut': {
        const a = step.a % this.machines.length;
        const b = step.b % this.machines.length;
        this.cut[a]![b] = true;
        this.cut[b]![a] = true;
        return;
      }
      case 'heal':
        for (const row of this.cut) row.fill(false);
        return;
      case 'tick':
        this.nowMs += step.ms;
        return;
    }
  }

  /** Heals the network and delivers everything, choosing each next message by `order` (then first-come). */
  flush(order: readonly number[]): void {
    this.run({ t: 'heal' });
    let i = 0;
    while (this.inFlight.length > 0) {
      const at = (order[i++] ?? 0) % this.inFlight.length;
      const [message] = this.inFlight.splice(at, 1);
      this.receive(this.machines[message!.to]!, message!.event);
    }
  }

  /** Every event any machine emitted. */
  allEvents(): TgfsEvent[] {
    return this.machines.flatMap((m) => m.emitted);
  }

  private deliver(to: number, pick: number, dup: boolean): void {
    const deliverable = this.inFlight
      .map((message, index) => ({ message, index }))
      .filter(({ message }) => message.to === to && !this.cut[this.senderOf(message.event)]![to]);
    if (deliverable.length === 0) return;
    const { message, index } = deliverable[pick % deliverable.length]!;
    // A duplicate stays in flight and will be delivered again.
    if (!dup) this.inFlight.splice(index, 1);
    this.receive(this.machines[to]!, message.event);
  }

  private senderOf(event: TgfsEvent): number {
    return this.machines.findIndex((m) => m.id === event.author);
  }

  private receive(machine: Machine, event: TgfsEvent): void {
    const key = `${event.author}:${event.seq}`;
    if (!machine.received.has(key)) {
      machine.received.add(key);
      machine.clock = merge(machine.clock, event.clock);
      machine.stampReceive(event.hlc, this.nowMs + machine.skewMs);
    }
    // Duplicates go to the reducer too: it must ignore them.
    machine.state = evolve(machine.state, event);
  }

  private emit<K extends EventType>(machine: Machine, type: K, body: EventBodies[K]): void {
    machine.seq++;
    machine.clock = { ...machine.clock, [machine.id]: machine.seq };
    const hlc = machine.stampSend(this.nowMs + machine.skewMs);
    const event = {
      v: schemaVersionOf(type, body),
      ns: NS,
      author: machine.id,
      seq: machine.seq,
      prev: null,
      clock: machine.clock,
      hlc,
      type,
      body,
    } as TgfsEvent;
    machine.emitted.push(event);
    machine.received.add(`${machine.id}:${machine.seq}`);
    machine.state = evolve(machine.state, event);
    for (const other of this.machines) if (other !== machine) this.inFlight.push({ to: other.index, event });
  }

  /** An id no other node has: the machine and the seq of the event about to be emitted. */
  private newId(machine: Machine): InodeId {
    return `${(machine.index + 1).toString(16).padStart(8, '0')}${(machine.seq + 1).toString(16).padStart(24, '0')}`;
  }

  /** One user action, chosen against the machine's current view of the tree. */
  private op(machine: Machine, kind: number, a: number, b: number, c: number): void {
    const { dirs, names, files } = liveView(machine.state);
    const nodes = names.map((n) => n.inode);
    const name = NAMES[b % NAMES.length]!;
    const pick = <T>(list: readonly T[], n: number): T | undefined =>
      list.length === 0 ? undefined : list[n % list.length];
    const pickNode = pick<InodeId>;
    // A hard link's name is its own tree node: Move and Delete of it say which (schema 2).
    const nameOf = (n: NameView) =>
      n.entry === n.inode ? { inode: n.inode } : { inode: n.inode, entry: n.entry };
    switch (kind % 7) {
      case 1: {
        const node = pick(names, a);
        if (node === undefined) break;
        // Any directory, even one under `node`: the reducer must skip such a move.
        this.emit(machine, 'Move', { ...nameOf(node), parent: pickNode(dirs, c)!, name });
        return;
      }
      case 2: {
        const node = pick(names, a);
        if (node === undefined) break;
        this.emit(machine, 'Delete', nameOf(node));
        return;
      }
      case 6: {
        const file = pickNode(files, a);
        if (file === undefined) break;
        this.emit(machine, 'Link', {
          entry: this.newId(machine),
          inode: file,
          parent: pickNode(dirs, c)!,
          name,
        });
        return;
      }
      case 3: {
        const node = pickNode(files, a);
        if (node === undefined) break;
        const body =
          c % 2 === 0
            ? { inode: node, sizeBytes: 2, inline: new Uint8Array([b % 256, c % 256]), mtimeMs: this.nowMs }
            : {
                inode: node,
                sizeBytes: 70_000,
                extents: [{ chunkId: `chunk${c % 7}`, lengthBytes: 70_000 }],
                mtimeMs: this.nowMs,
              };
        this.emit(machine, 'Write', body);
        return;
      }
      case 4: {
        const node = pickNode([ROOT_INODE, ...nodes], a);
        const xattr = `user.k${c % 2}`;
        this.emit(machine, 'SetAttr', {
          inode: node!,
          mode: 0o600 + (b % 8),
          ...(c % 3 === 0 ? { xattrRemove: [xattr] } : { xattrSet: { [xattr]: new Uint8Array([b % 256]) } }),
          ...(c % 4 === 0 ? { atimeMs: this.nowMs, uid: c % 5 } : {}),
        });
        return;
      }
      case 5: {
        // Undelete: move something out of the trash.
        const node = pick(entriesOf(machine.state, TRASH_INODE), a);
        if (node === undefined) break;
        this.emit(machine, 'Move', { ...nameOf(node), parent: pickNode(dirs, c)!, name });
        return;
      }
      default:
        break;
    }
    this.emit(machine, 'Create', {
      inode: this.newId(machine),
      parent: pickNode(dirs, a)!,
      name,
      kind: c % 3 === 0 ? 'file' : 'dir',
      mode: 0o755,
      uid: 1000,
      gid: 1000,
      mtimeMs: this.nowMs,
    });
  }
}

export interface NameView {
  readonly entry: InodeId;
  readonly inode: InodeId;
}

/**
 * The live directories, live names (root excluded: a hard-linked file has several) and live files a machine
 * sees. Without hard links, names are the inodes in the order the simulator always picked them from.
 */
export function liveView(state: NamespaceState): { dirs: InodeId[]; names: NameView[]; files: InodeId[] } {
  const dirs: InodeId[] = [ROOT_INODE];
  const names: NameView[] = [];
  const files: InodeId[] = [];
  for (let i = 0; i < dirs.length; i++) {
    for (const child of entriesOf(state, dirs[i]!)) {
      names.push({ entry: child.entry, inode: child.inode });
      if (nodeOf(state, child.inode)?.kind === 'dir') dirs.push(child.inode);
      else files.push(child.inode);
    }
  }
  return { dirs, names, files };
}

/** The projection a machine would rebuild from its log alone: every event folded in canonical order. */
export function foldCanonical(events: readonly TgfsEvent[]): NamespaceState {
  const sorted = [...events].sort(compareCanonical);
  return sorted.reduce(evolve, initialNamespaceState());
}
