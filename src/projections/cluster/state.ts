/**
 * State of the cluster projection: namespaces and member machines, from events in the cluster namespace.
 * Each entry keeps the canonical position of the event that defined it: the earliest wins, which makes the
 * reducer commutative and idempotent. Mutable for speed; readers go through `queries.ts`.
 */
import type { OrderPosition } from '../../events/canonical-order.js';
import type { ConflictStrategy, MachineId, NamespaceId, NamespaceMode } from '../../events/types.js';
import type { Refusals } from '../policy/refusals.js';

export interface NamespaceInfo {
  readonly id: NamespaceId;
  readonly name: string;
  readonly mode: NamespaceMode;
  readonly conflict: ConflictStrategy;
  readonly master: MachineId;
  readonly createdAtMs: number;
  readonly pos: OrderPosition;
}

export interface MemberInfo {
  readonly machine: MachineId;
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly joinedAtMs: number;
  readonly pos: OrderPosition;
}

export interface ClusterState {
  readonly namespaces: Map<NamespaceId, NamespaceInfo>;
  /** name → the namespace holding it (the canonical-earliest created under it). */
  readonly byName: Map<string, NamespaceId>;
  /** name → every namespace created under it, canonical-earliest first; the first holds the name. */
  readonly claims: Map<string, NamespaceInfo[]>;
  readonly members: Map<MachineId, MemberInfo>;
  /** Cluster events the cluster policy refused. */
  readonly refused: Refusals;
}

export function initialClusterState(): ClusterState {
  return {
    namespaces: new Map(),
    byName: new Map(),
    claims: new Map(),
    members: new Map(),
    refused: new Map(),
  };
}
