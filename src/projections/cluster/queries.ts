/** What the CLI and the mount code read from the cluster projection. */
import type { MachineId, NamespaceId } from '../../events/types.js';
import type { ClusterState, MemberInfo, NamespaceInfo } from './state.js';

/** The namespace holding `name` (the canonical-earliest created under it). */
export function namespaceByName(state: ClusterState, name: string): NamespaceInfo | undefined {
  const id = state.byName.get(name);
  return id === undefined ? undefined : state.namespaces.get(id);
}

export function namespaceById(state: ClusterState, id: NamespaceId): NamespaceInfo | undefined {
  return state.namespaces.get(id);
}

/** Namespaces that hold their name, sorted by name. */
export function namespacesByName(state: ClusterState): NamespaceInfo[] {
  return [...state.claims.values()]
    .map((c) => c[0]!)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function memberOf(state: ClusterState, machine: MachineId): MemberInfo | undefined {
  return state.members.get(machine);
}

/**
 * Whether a member's events count at all (before any removal cutoff): admitted; any member of a cluster made
 * before admission existed (no genesis); and, before the genesis in canonical order, its creator and adoptees.
 */
export function countsAsMember(state: ClusterState, m: MemberInfo): boolean {
  const expected = state.expectedGenesis;
  if (expected === undefined || m.admission !== undefined) return true;
  return state.genesis === undefined && expected.members.has(m.machine);
}

/** An admin of the cluster: the creator and machines invited as admins, until removed. */
export function isAdmin(state: ClusterState, m: MemberInfo): boolean {
  return m.admin && m.removed === undefined && countsAsMember(state, m);
}

/** The last seq of the member's chain in `ns` that counts, or undefined when it was not removed. */
export function removalCutoff(m: MemberInfo, ns: NamespaceId): number | undefined {
  return m.removed === undefined ? undefined : (m.removed.cutoff[ns] ?? 0);
}

/** Joins waiting for `cluster admit`. */
export function pendingMembers(state: ClusterState): MemberInfo[] {
  return [...state.members.values()].filter((m) => !countsAsMember(state, m) && m.removed === undefined);
}

export type MemberStatus = 'admitted' | 'pending' | 'removed';

export function memberStatus(state: ClusterState, m: MemberInfo): MemberStatus {
  if (m.removed !== undefined) return 'removed';
  return countsAsMember(state, m) ? 'admitted' : 'pending';
}
