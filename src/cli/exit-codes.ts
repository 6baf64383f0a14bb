import type { TgfsErrorCode } from '../errors.js';

/**
 * Documented exit codes (docs/cli.md). A shipped number keeps its meaning for good.
 * 2 is clipanion's usage error; 70 is a crash (an unexpected error, printed with its stack).
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  wrongPassword: 3,
  homeLocked: 4,
  homeState: 5,
  notFound: 6,
  storeUnavailable: 7,
  mountFailed: 8,
  loginRequired: 9,
  notPermitted: 10,
  crash: 70,
} as const;

export function exitCodeOf(code: TgfsErrorCode): number {
  switch (code) {
    case 'WRONG_PASSWORD':
    case 'PASSWORD_MISSING':
      return EXIT.wrongPassword;
    case 'HOME_LOCKED':
      return EXIT.homeLocked;
    case 'HOME_NOT_INITIALISED':
    case 'HOME_ALREADY_INITIALISED':
    case 'HOME_DAMAGED':
      return EXIT.homeState;
    case 'NAMESPACE_UNKNOWN':
    case 'NOT_FOUND':
      return EXIT.notFound;
    case 'STORE_UNAVAILABLE':
      return EXIT.storeUnavailable;
    case 'TELEGRAM_LOGIN_REQUIRED':
    case 'TELEGRAM_LOGIN_FAILED':
      return EXIT.loginRequired;
    case 'NOT_ADMIN':
    case 'NOT_ADMITTED':
    case 'NOT_OWNER':
    case 'REMOVED':
      return EXIT.notPermitted;
    case 'MOUNTPOINT_INVALID':
    case 'MOUNT_FAILED':
      return EXIT.mountFailed;
    default:
      return EXIT.failed;
  }
}
