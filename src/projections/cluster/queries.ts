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
