/**
 * Events the policy refused, as part of a projection's state: every replica holding the same events refuses
 * the same ones, so the set converges like the tree does, and `sync status` and the audit log can report it.
 * Keyed by author and seq, which name one event once forks are rejected at intake. Pure: no I/O.
 */
import type { EventType, MachineId, TgfsEvent } from '../../events/types.js';
import type { PolicyRefusalCode } from './namespace-policy.js';

export interface Refusal {
  readonly author: MachineId;
  readonly seq: number;
  readonly type: EventType;
  readonly code: PolicyRefusalCode;
  readonly reason: string;
}

export type Refusals = Map<string, Refusal>;

export function refusalKey(author: MachineId, seq: number): string {
  return `${author}#${seq}`;
}

export function recordRefusal(
  refusals: Refusals,
  event: TgfsEvent,
  verdict: { readonly code: PolicyRefusalCode; readonly reason: string },
): void {
  refusals.set(refusalKey(event.author, event.seq), {
    author: event.author,
    seq: event.seq,
    type: event.type,
    code: verdict.code,
    reason: verdict.reason,
  });
}
