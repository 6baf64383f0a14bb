/**
 * The policy seam (design.md, "Modes as policies"): standalone, master-replica and distributed are not three
 * code paths but three answers to two questions, asked the same way for local and pulled events:
 *
 * - `mayIssue`: may this machine issue this command? Asked before anything is signed, so a refused call
 *   fails (EROFS) and leaves no event behind.
 * - `counts`: does this event count? Asked when an event is folded, on every replica alike; an event that
 *   does not count is kept in the log (its author's hash chain stays whole) and out of the tree, with its reason.
 *
 * A policy is derived from the cluster state alone, so every replica holding the same cluster events derives
 * the same one; `key` changes exactly when an answer may change, and a namespace re-folds then. This is the
 * only module that reads a namespace's mode. Pure: no I/O.
 */
import type { MachineId, NamespaceId, NamespaceMode, TgfsEvent } from '../../events/types.js';
import { CLUSTER_NS } from '../../events/types.js';
import { countsAsMember, removalCutoff } from '../cluster/queries.js';
import type { ClusterState, WriterTerm } from '../cluster/state.js';

export interface NamespacePolicy {
  readonly ns: NamespaceId;
  /** Undefined for an open policy (the cluster namespace, a namespace the cluster does not know yet). */
  readonly mode: NamespaceMode | undefined;
  /** The machines that may write now; undefined means every machine. */
  readonly writers: ReadonlySet<MachineId> | undefined;
  /** For one-writer modes, whose events count by seq: past writers' up to the end of their term. */
  readonly terms: readonly WriterTerm[] | undefined;
  /** The standalone owner or the master, to name in refusals. */
  readonly owner: MachineId | undefined;
  /** Removed machines and the last seq of their chain here that still counts. */
  readonly removed: ReadonlyMap<MachineId, number>;
  /** Members whose join waits for an admin: their events are held (refused until admitted). */
  readonly pending: ReadonlySet<MachineId>;
  /** Equal for two policies exactly when they answer every question alike. */
  readonly key: string;
}

export type Verdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly code: PolicyRefusalCode; readonly reason: string };

/**
 * Stable codes (style.md, "Errors"). READ_ONLY maps to EROFS at the FUSE edge, NOT_OWNER and NOT_ADMITTED to
 * EACCES; the rest are refusals of pulled cluster events, reported by `sync status` and `cluster status`.
 */
export type PolicyRefusalCode =
  | 'READ_ONLY'
  | 'NOT_OWNER'
  | 'NOT_ADMITTED'
  | 'REMOVED'
  | 'NOT_ADMIN'
  | 'FORGED_IDENTITY'
  | 'MACHINE_KEY_CONFLICT'
  | 'FORGED_NAMESPACE'
  | 'NAMESPACE_EXISTS'
  | 'INVITATION_REFUSED'
  | 'NOT_GENESIS'
  | 'CLUSTER_EXISTS'
  | 'UNKNOWN_MACHINE'
  | 'UNKNOWN_NAMESPACE'
  | 'LAST_ADMIN';

const ALLOWED: Verdict = { allowed: true };
const NOBODY: ReadonlyMap<MachineId, number> = new Map();
const NONE: ReadonlySet<MachineId> = new Set();

/** Everything counts: the cluster namespace's policy, and that of a namespace the cluster does not know yet. */
export function openPolicy(ns: NamespaceId): NamespacePolicy {
  return {
    ns,
    mode: undefined,
    writers: undefined,
    terms: undefined,
    owner: undefined,
    removed: NOBODY,
    pending: NONE,
    key: 'open',
  };
}

export function policyFor(cluster: ClusterState, ns: NamespaceId): NamespacePolicy {
  if (ns === CLUSTER_NS) return openPolicy(ns);
  const info = cluster.namespaces.get(ns);
  if (info === undefined) return openPolicy(ns);
  const removed = new Map<MachineId, number>();
  const pending = new Set<MachineId>();
  const admitted = new Set<MachineId>();
  for (const m of cluster.members.values()) {
    const cutoff = removalCutoff(m, ns);
    if (cutoff !== undefined) removed.set(m.machine, cutoff);
    if (!countsAsMember(cluster, m)) pending.add(m.machine);
    else admitted.add(m.machine);
  }
  let writers: ReadonlySet<MachineId> | undefined;
  let terms: readonly WriterTerm[] | undefined;
  let owner: MachineId | undefined;
  switch (info.mode) {
    case 'standalone':
      // The owner's machine alone: other members can neither mount it nor write into it.
      owner = info.master;
      writers = new Set([info.master]);
      terms = info.terms;
      break;
    case 'master-replica':
      // One writer: the master. Replicas mount read-only and their events, however made, do not count.
      owner = info.master;
      writers = new Set([info.master]);
      terms = info.terms;
      break;
    case 'distributed':
      // Every admitted member; a cluster made before admission existed counts everyone.
      writers = cluster.genesis === undefined ? undefined : admitted;
      break;
  }
  const sorted = (xs: Iterable<string>) => [...xs].sort().join(',');
  const key = [
    info.mode,
    `w:${writers === undefined ? '*' : sorted(writers)}`,
    `t:${(terms ?? []).map((t) => `${t.machine}>${t.afterSeq}<=${t.upToSeq ?? ''}`).join(',')}`,
    `r:${sorted([...removed].map(([m, c]) => `${m}@${c}`))}`,
    `p:${sorted(pending)}`,
  ].join('|');
  return { ns, mode: info.mode, writers, terms, owner, removed, pending, key };
}

/** Whether `machine` may change the namespace at all: a replica's mount is read-only without being told. */
export function mayWrite(policy: NamespacePolicy, machine: MachineId): boolean {
  return (
    policy.removed.get(machine) === undefined && (policy.writers === undefined || policy.writers.has(machine))
  );
}

/** Whether `machine` may mount the namespace: a standalone namespace is its owner's alone. */
export function mayMount(policy: NamespacePolicy, machine: MachineId): Verdict {
  if (policy.mode !== 'standalone' || policy.owner === machine) return ALLOWED;
  return {
    allowed: false,
    code: 'NOT_OWNER',
    reason: `namespace ${policy.ns} is standalone and belongs to machine ${policy.owner}`,
  };
}

export function mayIssue(policy: NamespacePolicy, machine: MachineId, command: { type: string }): Verdict {
  return judge(policy, machine, undefined, command.type, 'this machine');
}

export function counts(policy: NamespacePolicy, event: TgfsEvent): Verdict {
  return judge(policy, event.author, event.seq, event.type, event.author);
}

function judge(
  policy: NamespacePolicy,
  machine: MachineId,
  seq: number | undefined,
  type: string,
  who: string,
): Verdict {
  const cutoff = policy.removed.get(machine);
  if (cutoff !== undefined && (seq === undefined || seq > cutoff)) {
    return { allowed: false, code: 'REMOVED', reason: `${type} by ${who}: removed from the cluster` };
  }
  if (policy.terms !== undefined && seq !== undefined) {
    if (
      policy.terms.some(
        (t) => t.machine === machine && seq > t.afterSeq && (t.upToSeq === undefined || seq <= t.upToSeq),
      )
    )
      return ALLOWED;
  } else if (policy.writers === undefined || policy.writers.has(machine)) return ALLOWED;
  if (policy.pending.has(machine)) {
    return {
      allowed: false,
      code: 'NOT_ADMITTED',
      reason: `${type} by ${who}: held until an admin admits the machine (\`cluster admit\`)`,
    };
  }
  switch (policy.mode) {
    case 'standalone':
      return {
        allowed: false,
        code: 'NOT_OWNER',
        reason: `${type} by ${who}: namespace ${policy.ns} is standalone and belongs to ${policy.owner}`,
      };
    case 'master-replica':
      return {
        allowed: false,
        code: 'READ_ONLY',
        reason: `${type} by ${who}: only the master (${policy.owner}) writes to namespace ${policy.ns}`,
      };
    default:
      return {
        allowed: false,
        code: 'NOT_ADMITTED',
        reason: `${type} by ${who}: not an admitted member of the cluster`,
      };
  }
}
