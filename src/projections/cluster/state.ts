/**
 * State of the cluster projection: the genesis, member machines and how each was admitted, namespaces and their
 * masters, from events in the cluster namespace. Who may do what depends on what came before (an admit counts
 * only if its author was an admin at that point), so the state keeps the cluster's events in canonical order
 * and derives the rest from them by one fold: any delivery order gives the same state (see evolve.ts).
 * Mutable for speed; readers go through `queries.ts`.
 */
import type { OrderPosition } from '../../events/canonical-order.js';
import type {
  ConflictStrategy,
  MachineId,
  MachineRole,
  NamespaceId,
  NamespaceMode,
  TgfsEvent,
} from '../../events/types.js';
import type { Refusals } from '../policy/refusals.js';

export interface NamespaceInfo {
  readonly id: NamespaceId;
  readonly name: string;
  readonly mode: NamespaceMode;
  readonly conflict: ConflictStrategy;
  /** The machine that created it (its id proves it). */
  readonly creator: MachineId;
  /**
   * The one writer: a master-replica namespace's master (moved by `cluster promote`), a standalone one's owner;
   * both pass to a machine that replaces this one after a rebuild. For a distributed namespace, the creator.
   */
  readonly master: MachineId;
  /**
   * Who wrote when, for standalone and master-replica: each writer's events count after `afterSeq` and up to
   * `upToSeq` (open for the current one). The first term is the creator's.
   */
  readonly terms: readonly WriterTerm[];
  readonly createdAtMs: number;
  readonly pos: OrderPosition;
}

export interface WriterTerm {
  readonly machine: MachineId;
  readonly afterSeq: number;
  readonly upToSeq?: number;
}

/** How a member came to count. */
export type Admission =
  | { readonly how: 'creator' }
  | { readonly how: 'adopted'; readonly by: MachineId }
  | { readonly how: 'invitation'; readonly by: MachineId }
  | { readonly how: 'admit'; readonly by: MachineId }
  /** A rebuilt machine that proved it knows the current password (audited as such). */
  | { readonly how: 'password' };

export interface MemberInfo {
  readonly machine: MachineId;
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly role: MachineRole;
  readonly joinedAtMs: number;
  readonly pos: OrderPosition;
  /** Undefined while the join waits for an admin (`cluster admit`). */
  readonly admission?: Admission & { readonly pos: OrderPosition };
  readonly admin: boolean;
  /** Per namespace, the last seq of this machine's chain that still counts; later events are refused. */
  readonly removed?: {
    readonly by: MachineId;
    readonly pos: OrderPosition;
    readonly cutoff: Readonly<Record<NamespaceId, number>>;
  };
}

/** What a home brings to its cluster projection: every honest home of a cluster brings the same. */
export interface ClusterTrust {
  /**
   * The creator this home pinned when it joined (from its invitation, its own creation, or the first genesis
   * it saw): only that machine's ClusterCreated counts, so a backdated one made later by a member does not.
   */
  readonly pinnedCreator?: MachineId;
  /** Checks a rebuilt machine's proof of the password; without it such joins stay pending. */
  readonly selfAdmissionKey?: Uint8Array;
  /**
   * After a key rotation: the machines that had proved an earlier password (listed by the rotating admin, in the
   * keyring) and those earlier epochs' keys. Their proofs keep counting; anyone else must prove the current
   * password, so an old password admits nobody new.
   */
  readonly earlierSelfAdmissions?: {
    readonly machines: ReadonlySet<MachineId>;
    readonly keys: readonly Uint8Array[];
  };
}

export interface ClusterState {
  readonly trust: ClusterTrust;
  /** Every cluster event, in canonical order: the input the rest is derived from. */
  readonly events: TgfsEvent[];
  /**
   * The ClusterCreated that will count, found before the fold (see evolve.ts): while events before it are
   * folded, its creator and the machines it adopts count as they did before admission existed, nobody else.
   * Undefined for a cluster made before admission existed: everyone counts.
   */
  expectedGenesis:
    | { readonly author: MachineId; readonly seq: number; readonly members: ReadonlySet<MachineId> }
    | undefined;
  /** The counted ClusterCreated, once folded. */
  genesis:
    | {
        readonly creator: MachineId;
        readonly cluster: string;
        readonly createdAtMs: number;
        readonly pos: OrderPosition;
      }
    | undefined;
  readonly namespaces: Map<NamespaceId, NamespaceInfo>;
  /** name → the namespace holding it (the canonical-earliest created under it). */
  readonly byName: Map<string, NamespaceId>;
  /** name → every namespace created under it, canonical-earliest first; the first holds the name. */
  readonly claims: Map<string, NamespaceInfo[]>;
  readonly members: Map<MachineId, MemberInfo>;
  /** One-time invitation keys (hex) already redeemed, and by whom. */
  readonly redeemed: Map<string, MachineId>;
  /** Cluster events that did not count (or whose admission did not), with the reason. */
  readonly refused: Refusals;
}

export function initialClusterState(trust: ClusterTrust = {}): ClusterState {
  return {
    trust,
    events: [],
    expectedGenesis: undefined,
    genesis: undefined,
    namespaces: new Map(),
    byName: new Map(),
    claims: new Map(),
    members: new Map(),
    redeemed: new Map(),
    refused: new Map(),
  };
}

/** Empties the derived part, keeping the trust and the events, before a full re-derivation. */
export function resetDerived(state: ClusterState): void {
  state.expectedGenesis = undefined;
  state.genesis = undefined;
  state.namespaces.clear();
  state.byName.clear();
  state.claims.clear();
  state.members.clear();
  state.redeemed.clear();
  state.refused.clear();
}
