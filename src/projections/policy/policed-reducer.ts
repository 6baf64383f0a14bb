import type { TgfsEvent } from '../../events/types.js';
import { counts, type NamespacePolicy, type Verdict } from './namespace-policy.js';

/** The two reducers of a projection: one for events that count, one for events the policy refused. */
export interface PolicedReducers<S> {
  evolve(state: S, event: TgfsEvent): S;
  refuse(state: S, event: TgfsEvent, verdict: Extract<Verdict, { allowed: false }>): S;
}

/**
 * The fold step every replica uses for every event, local or pulled: the policy decides whether it counts,
 * and only then does it reach the tree. Pure, so replicas holding the same events agree on the refusals too.
 */
export function reducerUnder<S>(
  reducers: PolicedReducers<S>,
  policy: NamespacePolicy,
): (state: S, event: TgfsEvent) => S {
  return (state, event) => {
    const verdict = counts(policy, event);
    return verdict.allowed ? reducers.evolve(state, event) : reducers.refuse(state, event, verdict);
  };
}
