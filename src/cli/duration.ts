import { TgfsError } from '../errors.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `24h`, `7d` (or a number of seconds) in milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (m === null || Number(m[1]) === 0) {
    throw new TgfsError('INVALID_ARGUMENT', `${flag} must be a duration such as 30m, 24h or 7d, got ${text}`);
  }
  return Number(m[1]) * UNITS[m[2] || 's']!;
}
