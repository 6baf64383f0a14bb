import { isTgfsError, TgfsError } from '../../../errors.js';
import type { TelegramApiCredentials, TelegramClientFactory } from './telegram-client.js';
import { readTelegramSession, writeTelegramSession } from './telegram-session.js';

/** Where the login flow gets what only the user knows. */
export interface TelegramLoginPrompts {
  phone(): Promise<string>;
  code(): Promise<string>;
  /** The account's two-step verification password, asked only when the account has one. */
  password(hint?: string): Promise<string>;
}

export interface TelegramLoginOptions {
  readonly sessionFile: string;
  readonly api: TelegramApiCredentials;
  readonly createClient: TelegramClientFactory;
  readonly prompts: TelegramLoginPrompts;
  /** Log in again even when the saved session still works. */
  readonly force?: boolean;
}

/**
 * Logs the user's Telegram account in (phone, code, 2FA password) and saves the session in the home, or does
 * nothing when the saved session still works, so running it again needs no prompt. A refused step fails the
 * whole login at once rather than asking again: with answers from the environment, asking again would loop.
 */
export async function telegramLogin(options: TelegramLoginOptions): Promise<{ alreadyLoggedIn: boolean }> {
  const saved = options.force ? undefined : await readTelegramSession(options.sessionFile);
  const client = await options.createClient({ session: saved ?? '', ...options.api });
  try {
    try {
      await client.connect();
    } catch (cause) {
      throw new TgfsError('STORE_UNAVAILABLE', `cannot reach Telegram: ${describe(cause)}`, { cause });
    }
    if (saved !== undefined && (await client.checkAuthorization())) return { alreadyLoggedIn: true };
    let refusal: unknown;
    try {
      await client.start({
        phoneNumber: () => options.prompts.phone(),
        phoneCode: () => options.prompts.code(),
        password: (hint) => options.prompts.password(hint),
        onError: async (err) => {
          refusal ??= err;
          return true;
        },
      });
    } catch (err) {
      const cause = refusal ?? err;
      if (isTgfsError(cause)) throw cause;
      throw new TgfsError('TELEGRAM_LOGIN_FAILED', `Telegram refused the login: ${describe(cause)}`, {
        cause,
      });
    }
    const session = client.session.save();
    if (typeof session !== 'string' || session === '') {
      throw new Error('the Telegram client produced no session string after logging in');
    }
    await writeTelegramSession(options.sessionFile, session);
    return { alreadyLoggedIn: false };
  } finally {
    await client.destroy();
  }
}

function describe(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'errorMessage' in err) return String(err.errorMessage);
  return err instanceof Error ? err.message : String(err);
}
