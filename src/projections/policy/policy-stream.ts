import { distinctUntilChanged, map, type Observable } from 'rxjs';
import type { NamespaceId } from '../../events/types.js';
import type { ClusterState } from '../cluster/state.js';
import { type NamespacePolicy, policyFor } from './namespace-policy.js';

/**
 * A namespace's policy as the cluster projection moves: a new value only when an answer may change, which is
 * when the namespace's replica re-folds. Emits the current policy on subscribe (the cluster's state$ does).
 */
export function policyStream(
  cluster: { readonly state$: Observable<ClusterState> },
  ns: NamespaceId,
): Observable<NamespacePolicy> {
  return cluster.state$.pipe(
    map((state) => policyFor(state, ns)),
    distinctUntilChanged((a, b) => a.key === b.key),
  );
}
