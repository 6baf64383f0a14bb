/**
 * The cluster reducer. A namespace or member is defined by the canonically earliest event that names it, so
 * replicas agree whatever order events arrive in, and a redelivered event changes nothing. When two
 * namespaces are created under one name concurrently, the earlier keeps the name; the other is reachable by id.
 */
import { compareCanonical, positionOf } from '../../events/canonical-order.js';
import type { TgfsEvent } from '../../events/types.js';
import type { Verdict } from '../policy/namespace-policy.js';
import { recordRefusal } from '../policy/refusals.js';
import type { ClusterState, NamespaceInfo } from './state.js';

export function evolveCluster(state: ClusterState, event: TgfsEvent): ClusterState {
  switch (event.type) {
    case 'NamespaceCreated': {
      const { body } = event;
      const info: NamespaceInfo = {
        id: body.namespace,
        name: body.name,
        mode: body.mode,
        conflict: body.conflict,
        master: body.master,
        createdAtMs: body.createdAtMs,
        pos: positionOf(event),
      };
      const existing = state.namespaces.get(info.id);
      if (existing !== undefined) {
        if (compareCanonical(existing.pos, info.pos) <= 0) return state;
        removeClaim(state, existing);
      }
      state.namespaces.set(info.id, info);
      addClaim(state, info);
      return state;
    }
    case 'MachineJoined': {
      const { body } = event;
      const pos = positionOf(event);
      const existing = state.members.get(body.machine);
      if (existing !== undefined && compareCanonical(existing.pos, pos) <= 0) return state;
      state.members.set(body.machine, {
        machine: body.machine,
        name: body.name,
        publicKey: body.publicKey,
        joinedAtMs: body.createdAtMs,
        pos,
      });
      return state;
    }
    case 'Create':
    case 'Write':
    case 'Delete':
    case 'Move':
    case 'Link':
    case 'SetAttr':
      return state;
  }
}

/** A cluster event the policy refused: remembered with its reason, nothing else changes. */
export function refuseCluster(
  state: ClusterState,
  event: TgfsEvent,
  verdict: Extract<Verdict, { allowed: false }>,
): ClusterState {
  recordRefusal(state.refused, event, verdict);
  return state;
}

function addClaim(state: ClusterState, info: NamespaceInfo): void {
  const claims = state.claims.get(info.name) ?? [];
  claims.push(info);
  claims.sort((a, b) => compareCanonical(a.pos, b.pos));
  state.claims.set(info.name, claims);
  state.byName.set(info.name, claims[0]!.id);
}

function removeClaim(state: ClusterState, info: NamespaceInfo): void {
  const claims = (state.claims.get(info.name) ?? []).filter((c) => c !== info);
  if (claims.length === 0) {
    state.claims.delete(info.name);
    state.byName.delete(info.name);
  } else {
    state.claims.set(info.name, claims);
    state.byName.set(info.name, claims[0]!.id);
  }
}

/** The same reducer under the name the namespace projection uses, for code generic over projections. */
export { evolveCluster as evolve };
