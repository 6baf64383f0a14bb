/** Terse event construction for projection tests; signatures and hash chains do not matter to reducers. */
import {
  CLUSTER_NS,
  type EventBodies,
  type EventType,
  type Hlc,
  type MachineId,
  schemaVersionOf,
  type TgfsEvent,
  type VectorClock,
} from '../../../src/events/types.js';

export const NS = '0123456789abcdef0123456789abcdef';
export const MACHINE_A: MachineId = 'aaaaaaaa-0000-4000-8000-000000000001';
export const MACHINE_B: MachineId = 'bbbbbbbb-0000-4000-8000-000000000002';
export const MACHINE_C: MachineId = 'cccccccc-0000-4000-8000-000000000003';

export function event<K extends EventType>(
  author: MachineId,
  seq: number,
  hlc: Hlc | number,
  type: K,
  body: EventBodies[K],
  clock: VectorClock = { [author]: seq },
): TgfsEvent {
  const stamp = typeof hlc === 'number' ? { wallMs: hlc, counter: 0 } : hlc;
  const v = schemaVersionOf(type, body);
  return { v, ns: NS, author, seq, prev: null, clock, hlc: stamp, type, body } as TgfsEvent;
}

/** A machine's self-introduction in the cluster namespace (a legacy random id: no key derivation to match). */
export function joined(
  machine: MachineId,
  wallMs = 10,
  extra: Partial<EventBodies['MachineJoined']> = {},
): TgfsEvent {
  return {
    ...event(machine, 1, wallMs, 'MachineJoined', {
      machine,
      name: machine.slice(0, 8),
      publicKey: new Uint8Array(32).fill(machine.charCodeAt(0)),
      createdAtMs: wallMs,
      ...extra,
    }),
    ns: CLUSTER_NS,
  } as TgfsEvent;
}

/** A 32-hex inode id that is easy to read in failures: `inode(7)` → '0…07'. Avoids root (1) and trash (2). */
export function inode(n: number): string {
  return (0x100 + n).toString(16).padStart(32, '0');
}

/** Builds one author's events with consecutive seqs and wall times. */
export class Author {
  seq = 0;
  constructor(
    readonly id: MachineId,
    public wallMs = 1_000,
  ) {}

  emit<K extends EventType>(type: K, body: EventBodies[K], wallMs?: number): TgfsEvent {
    this.seq++;
    this.wallMs = wallMs ?? this.wallMs + 1;
    return event(this.id, this.seq, this.wallMs, type, body);
  }

  mkdir(node: string, parent: string, name: string, wallMs?: number): TgfsEvent {
    return this.emit(
      'Create',
      { inode: node, parent, name, kind: 'dir', mode: 0o755, uid: 1, gid: 1, mtimeMs: 5 },
      wallMs,
    );
  }

  touch(node: string, parent: string, name: string, wallMs?: number): TgfsEvent {
    return this.emit(
      'Create',
      { inode: node, parent, name, kind: 'file', mode: 0o644, uid: 1, gid: 1, mtimeMs: 5 },
      wallMs,
    );
  }

  move(node: string, parent: string, name: string, wallMs?: number): TgfsEvent {
    return this.emit('Move', { inode: node, parent, name }, wallMs);
  }

  remove(node: string, wallMs?: number): TgfsEvent {
    return this.emit('Delete', { inode: node }, wallMs);
  }

  /** A hard link: `entry` is the new name's own tree node. */
  link(entry: string, node: string, parent: string, name: string, wallMs?: number): TgfsEvent {
    return this.emit('Link', { entry, inode: node, parent, name }, wallMs);
  }
}
