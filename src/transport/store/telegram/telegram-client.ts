import type { Api } from 'telegram';
import type { UserAuthParams } from 'telegram/client/auth.js';
import { TgfsError } from '../../../errors.js';

/**
 * The few GramJS `TelegramClient` methods tgcryptfs calls, with the parameter shapes it uses. A real
 * `TelegramClient` satisfies this interface as is (checked below), and so does the in-memory fake the tests use,
 * which is why the adapter may call nothing else.
 */
export interface TelegramClientPort {
  /** The session; `StringSession.save()` returns the string to keep in the home. */
  readonly session: { save(): unknown };
  connect(): Promise<unknown>;
  checkAuthorization(): Promise<boolean>;
  start(params: UserAuthParams): Promise<void>;
  /** upload.saveFilePart, upload.saveBigFilePart, upload.getFile (on the document's data center). */
  invoke<R extends Api.AnyRequest>(request: R, dcId?: number): Promise<R['__response']>;
  /** Posts an already uploaded file (never a path or buffer: the adapter uploads the parts itself). */
  sendFile(entity: 'me', params: SendDocumentParams): Promise<Api.Message>;
  /** Missing ids come back as `undefined` entries (GramJS does that despite its declared type). */
  getMessages(entity: 'me', params: GetMessagesParams): Promise<Array<Api.Message | undefined>>;
  deleteMessages(entity: 'me', ids: number[], options: { revoke: boolean }): Promise<unknown>;
  destroy(): Promise<void>;
}

export interface SendDocumentParams {
  file: Api.InputFile | Api.InputFileBig;
  caption: string;
  forceDocument: true;
  /** Always `[]`: without it GramJS parses the caption as Markdown and would rewrite `__` or `**` in it. */
  formattingEntities: Api.TypeMessageEntity[];
}

/**
 * `ids`: those messages, in that order. Otherwise a page of history: with `reverse`, ascending from the first id
 * above max(`minId`, `offsetId`); without, descending from below `offsetId` (0 = the newest) down to `minId`.
 */
export interface GetMessagesParams {
  ids?: number[];
  minId?: number;
  offsetId?: number;
  reverse?: boolean;
  limit?: number;
}

export interface TelegramClientOptions {
  /** The saved session string ('' for a new login). */
  readonly session: string;
  readonly apiId: number;
  readonly apiHash: string;
}

export type TelegramClientFactory = (options: TelegramClientOptions) => Promise<TelegramClientPort>;

/** Builds a real GramJS client. It does not connect: callers do, so that tests can observe every step. */
export const createTelegramClient: TelegramClientFactory = async ({ session, apiId, apiHash }) => {
  // GramJS is loaded on first use only: it costs every other command (and the mount's heap) for nothing.
  const [{ Logger, TelegramClient }, { LogLevel }, { StringSession }] = await Promise.all([
    import('telegram'),
    import('telegram/extensions/Logger.js'),
    import('telegram/sessions/index.js'),
  ]);
  const client = new TelegramClient(new StringSession(session), apiId, apiHash, {
    // Flood waits reach the adapter, which waits them out where `sync status` can show it, instead of GramJS
    // sleeping silently inside a request.
    floodSleepThreshold: 0,
    connectionRetries: 5,
    baseLogger: new Logger(LogLevel.ERROR),
  });
  const port: TelegramClientPort = client;
  return port;
};

/**
 * The factory tests can swap in: `TGCRYPTFS_TELEGRAM_FAKE` names a module exporting `createTelegramClient` (the
 * fake in test/helpers), because a CLI test cannot reach Telegram's servers.
 */
export async function loadTelegramClientFactory(
  env: NodeJS.ProcessEnv = process.env,
): Promise<TelegramClientFactory> {
  const fake = env['TGCRYPTFS_TELEGRAM_FAKE'];
  if (fake === undefined || fake === '') return createTelegramClient;
  const mod = (await import(fake)) as { createTelegramClient?: TelegramClientFactory };
  if (typeof mod.createTelegramClient !== 'function') {
    throw new TypeError(`TGCRYPTFS_TELEGRAM_FAKE module ${fake} exports no createTelegramClient`);
  }
  return mod.createTelegramClient;
}

export interface TelegramApiCredentials {
  readonly apiId: number;
  readonly apiHash: string;
}

/**
 * The API id and hash from config.yaml (`telegram.api_id`, `telegram.api_hash`), else from TELEGRAM_APP_ID and
 * TELEGRAM_APP_HASH.
 */
export function resolveTelegramApi(
  fromConfig: { apiId?: number | undefined; apiHash?: string | undefined } | undefined,
  env: NodeJS.ProcessEnv = process.env,
): TelegramApiCredentials {
  const idText = env['TELEGRAM_APP_ID'];
  const apiId = fromConfig?.apiId ?? (idText !== undefined && idText !== '' ? Number(idText) : undefined);
  const apiHash = fromConfig?.apiHash ?? (env['TELEGRAM_APP_HASH'] || undefined);
  if (apiId === undefined || apiHash === undefined) {
    throw new TgfsError(
      'CONFIG_INVALID',
      'no Telegram API id and hash: set telegram.api_id and telegram.api_hash in config.yaml, or TELEGRAM_APP_ID ' +
        'and TELEGRAM_APP_HASH (create them at https://my.telegram.org)',
    );
  }
  if (!Number.isSafeInteger(apiId) || apiId <= 0) {
    throw new TgfsError(
      'CONFIG_INVALID',
      `TELEGRAM_APP_ID must be a positive integer, got ${JSON.stringify(idText)}`,
    );
  }
  return { apiId, apiHash };
}
