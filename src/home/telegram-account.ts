import { type Config, readConfig } from '../config/config.js';
import type { HomePaths } from '../config/home-paths.js';
import { isTgfsError } from '../errors.js';
import {
  loadTelegramClientFactory,
  resolveTelegramApi,
} from '../transport/store/telegram/telegram-client.js';
import { type TelegramLoginPrompts, telegramLogin } from '../transport/store/telegram/telegram-login.js';

export type { TelegramLoginPrompts };

/**
 * `telegram login` as a use case: the API id and hash from the home's config (or the environment), a session
 * saved in the home. Works before `machine init`, which is the normal order for a telegram home.
 */
export async function logInToTelegram(
  paths: HomePaths,
  prompts: TelegramLoginPrompts,
  opts: { force: boolean },
): Promise<{ alreadyLoggedIn: boolean }> {
  const config = await readConfigIfAny(paths.config);
  const api = resolveTelegramApi({ apiId: config?.telegram?.api_id, apiHash: config?.telegram?.api_hash });
  return telegramLogin({
    sessionFile: paths.telegramSession,
    api,
    createClient: await loadTelegramClientFactory(),
    prompts,
    force: opts.force,
  });
}

async function readConfigIfAny(file: string): Promise<Config | undefined> {
  try {
    return await readConfig(file);
  } catch (err) {
    if (isTgfsError(err, 'HOME_NOT_INITIALISED')) return undefined;
    throw err;
  }
}
