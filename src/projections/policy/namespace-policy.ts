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
import type { MachineId, NamespaceId, TgfsEvent } from '../../events/types.js';
import { CLUSTER_NS } from '../../events/types.js';
import type { ClusterState } from '../cluster/state.js';

export interface NamespacePolicy {
  readonly ns: NamespaceId;
  /** The machines whose data events count; undefined means every machine's. */
  readonly writers: ReadonlySet<MachineId> | undefined;
  /** Equal for two policies exactly when they answer every question alike. */
  readonly key: string;
}

export type Verdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly code: PolicyRefusalCode; readonly reason: string };

/** Stable codes (style.md, "Errors"): READ_ONLY maps to EROFS at the FUSE edge. */
export type PolicyRefusalCode = 'READ_ONLY';

const ALLOWED: Verdict = { allowed: true };

/** Everything counts: the cluster namespace's policy, and that of a namespace the cluster does not know yet. */
export function openPolicy(ns: NamespaceId): NamespacePolicy {
  return { ns, writers: undefined, key: 'open' };
}

export function policyFor(cluster: ClusterState, ns: NamespaceId): NamespacePolicy {
  if (ns === CLUSTER_NS) return openPolicy(ns);
  const info = cluster.namespaces.get(ns);
  if (info === undefined) return openPolicy(ns);
  switch (info.mode) {
    case 'master-replica':
      // One writer: the master. Replicas mount read-only and their events, however made, do not count.
      return { ns, writers: new Set([info.master]), key: `writers:${info.master}` };
    case 'standalone':
    case 'distributed':
      return openPolicy(ns);
  }
}

/** Whether `machine` may change the namespace at all: a replica's mount is read-only without being told. */
export function mayWrite(policy: NamespacePolicy, machine: MachineId): boolean {
  return policy.writers === undefined || policy.writers.has(machine);
}

export function mayIssue(policy: NamespacePolicy, machine: MachineId, command: { type: string }): Verdict {
  if (mayWrite(policy, machine)) return ALLOWED;
  return {
    allowed: false,
    code: 'READ_ONLY',
    reason: `${command.type}: this machine is a read-only replica of namespace ${policy.ns}`,
  };
}

export function counts(policy: NamespacePolicy, event: TgfsEvent): Verdict {
  if (mayWrite(policy, event.author)) return ALLOWED;
  return {
    allowed: false,
    code: 'READ_ONLY',
    reason: `${event.type} by ${event.author}: only the master writes to namespace ${policy.ns}`,
  };
}
