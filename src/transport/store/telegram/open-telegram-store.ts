import { homePaths } from '../../../config/home-paths.js';
import { TgfsError } from '../../../errors.js';
import type { MessageStore } from '../message-store.js';
import { StoreUnavailableError } from '../store-unavailable-error.js';
import { loadTelegramClientFactory, resolveTelegramApi } from './telegram-client.js';
import { readTelegramSession } from './telegram-session.js';
import { TelegramMessageStore, type TelegramStoreOptions } from './telegram-store.js';

export interface OpenTelegramStoreOptions {
  /** The home holding `telegram.session` (default: $TGCRYPTFS_HOME, else ~/.tgcryptfs). */
  readonly homeRoot?: string;
  /** From config.yaml; TELEGRAM_APP_ID / TELEGRAM_APP_HASH fill what is missing. */
  readonly telegram?: { readonly apiId?: number; readonly apiHash?: string };
  /** Passed to the adapter, e.g. `onWait` for `sync status`. */
  readonly store?: TelegramStoreOptions;
}

/** Connects with the home's saved session and returns the adapter (the home's store stack adds the retries). */
export async function openTelegramStore(options: OpenTelegramStoreOptions = {}): Promise<MessageStore> {
  const sessionFile = homePaths(options.homeRoot).telegramSession;
  const session = await readTelegramSession(sessionFile);
  if (session === undefined) {
    throw new TgfsError(
      'TELEGRAM_LOGIN_REQUIRED',
      `no Telegram session in ${sessionFile}: run \`tgcryptfs telegram login\` first`,
    );
  }
  const api = resolveTelegramApi(options.telegram);
  const createClient = await loadTelegramClientFactory();
  const client = await createClient({ session, ...api });
  try {
    await client.connect();
  } catch (cause) {
    await client.destroy();
    throw new StoreUnavailableError(
      `cannot reach Telegram: ${cause instanceof Error ? cause.message : cause}`,
      {
        cause,
      },
    );
  }
  return new TelegramMessageStore(client, options.store);
}
