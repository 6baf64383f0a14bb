import { errors } from 'telegram';

/**
 * What a failed GramJS call means for the `MessageStore` contract. GramJS rejects with `RPCError` subclasses for
 * server answers, and with plain `Error`s — or, on reconnect exhaustion, a bare string — for network trouble.
 */
export type TelegramFailure =
  /** FLOOD_WAIT_X / FLOOD_PREMIUM_WAIT_X: refused, retry after `seconds`. */
  | { readonly kind: 'flood-wait'; readonly seconds: number }
  /** The session is dead (revoked, logged out, banned): no retry helps, the user must log in again. */
  | { readonly kind: 'session-revoked'; readonly reason: string }
  /** The file reference in a document expired: fetch the message again for a fresh one. */
  | { readonly kind: 'file-reference-expired' }
  /** Network trouble or a server-side hiccup: worth retrying. */
  | { readonly kind: 'transient'; readonly reason: string }
  /** Anything else: a request the server refused for good, or a bug. */
  | { readonly kind: 'other' };

const REVOKED = new Set([
  'AUTH_KEY_UNREGISTERED',
  'AUTH_KEY_INVALID',
  'AUTH_KEY_PERM_EMPTY',
  'AUTH_KEY_DUPLICATED',
  'SESSION_REVOKED',
  'SESSION_EXPIRED',
  'USER_DEACTIVATED',
  'USER_DEACTIVATED_BAN',
]);

const FLOOD_RE = /^FLOOD(?:_PREMIUM)?_WAIT_(\d+)$/;

export function classifyTelegramError(err: unknown): TelegramFailure {
  if (err instanceof errors.FloodWaitError) return { kind: 'flood-wait', seconds: err.seconds };
  if (err instanceof errors.RPCError) {
    const message = String(err.errorMessage ?? '');
    const flood = FLOOD_RE.exec(message);
    if (flood !== null) return { kind: 'flood-wait', seconds: Number(flood[1]) };
    if (REVOKED.has(message)) return { kind: 'session-revoked', reason: message };
    if (message.startsWith('FILE_REFERENCE_')) return { kind: 'file-reference-expired' };
    const code = Number(err.code);
    // 5xx are Telegram's internal errors; -503 is GramJS's "Timeout" answer.
    if (code >= 500 || code === -503 || message === 'TIMEOUT' || message === 'RPC_CALL_FAIL') {
      return { kind: 'transient', reason: message || `RPC error ${code}` };
    }
    if (code === 401) return { kind: 'session-revoked', reason: message };
    return { kind: 'other' };
  }
  // A TypeError or RangeError is a bug, ours or GramJS's; hiding it behind retries would only delay the crash.
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) {
    return { kind: 'other' };
  }
  if (err instanceof Error) return { kind: 'transient', reason: err.message };
  if (typeof err === 'string') return { kind: 'transient', reason: err };
  return { kind: 'other' };
}
