import { Api, helpers } from 'telegram';
import { TgfsError } from '../../../errors.js';
import { parseCaption } from '../captions.js';
import type { ByteRange, MessageId, MessageStore, StoredMessage } from '../message-store.js';
import { checkAppendArgs, checkListArgs, checkRange, DEFAULT_LIST_LIMIT } from '../store-args.js';
import { StoreUnavailableError } from '../store-unavailable-error.js';
import type { TelegramClientPort } from './telegram-client.js';
import { classifyTelegramError } from './telegram-errors.js';
import { alignedFileRequests } from './telegram-file-requests.js';

/** Telegram's upload limits: parts of at most 512 KiB, at most 4000 of them per document. */
export const UPLOAD_PART_BYTES = 512 * 1024;
export const MAX_UPLOAD_PARTS = 4000;
export const MAX_DOCUMENT_BYTES = UPLOAD_PART_BYTES * MAX_UPLOAD_PARTS;
/** Files above 10 MiB must go through upload.saveBigFilePart. */
export const BIG_FILE_THRESHOLD_BYTES = 10 * 1024 * 1024;
/** The file name of every document this adapter posts: the mark that tells its messages from the user's own. */
export const DOCUMENT_FILE_NAME = 'tgfs.bin';
/** Telegram refuses empty files, so an empty message is posted as one byte under this name. */
export const EMPTY_DOCUMENT_FILE_NAME = 'tgfs-empty.bin';

export interface TelegramStoreOptions {
  /** How to wait out a flood wait (tests shrink it). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told the seconds of each flood wait as it starts, e.g. for `sync status`. */
  readonly onWait?: (seconds: number) => void;
  /** A flood wait longer than this is not waited out but thrown as STORE_UNAVAILABLE with retryAfterMs (1 h). */
  readonly maxFloodWaitMs?: number;
  readonly now?: () => number;
  /** Parts uploaded at once (default 4). */
  readonly uploadWorkers?: number;
  /** Largest payload accepted (default MAX_DOCUMENT_BYTES); tests lower it to exercise the refusal. */
  readonly maxDocumentBytes?: number;
  /** Whether close() destroys the client (default true). */
  readonly ownsClient?: boolean;
}

interface OwnDocument {
  readonly message: Api.Message;
  readonly document: Api.Document;
  readonly stored: StoredMessage;
}

interface AmbiguousAppend {
  readonly sizeBytes: number;
  readonly sinceMs: number;
}

/** How far before an ambiguous post the caption search looks, for clock skew between us and Telegram. */
const SEARCH_SLACK_MS = 10 * 60_000;
const PAGE = 100;
/** Re-sends of one upload part or download piece after a dropped connection, and the first backoff. */
const PIECE_RETRIES = 3;
const PIECE_RETRY_MS = 250;

/**
 * The `MessageStore` on the Saved Messages of a Telegram account, through GramJS (design.md, "Store and sync").
 * Each message is one document posted to 'me' with the caption as its text. Messages the user keeps there
 * themselves are skipped: only documents this adapter posted (by file name) or carrying a tgfs caption are listed.
 *
 * Failures: a flood wait is waited out (never an error, unless longer than `maxFloodWaitMs`); a dropped
 * connection is STORE_UNAVAILABLE (wrap in RetryingStore to retry); a revoked session is TELEGRAM_LOGIN_REQUIRED.
 * An append whose posting request failed ambiguously is remembered, and appending the same caption again first
 * looks for the message among the recent ones, so a retry cannot post twice.
 */
export class TelegramMessageStore implements MessageStore {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly ambiguous = new Map<string, AmbiguousAppend>();
  private activeWaits = 0;
  private waitUntilMs = 0;
  private closed = false;

  constructor(
    private readonly client: TelegramClientPort,
    private readonly options: TelegramStoreOptions = {},
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  /** Seconds left of the flood wait in progress, 0 when none. */
  get currentWait(): number {
    if (this.activeWaits === 0) return 0;
    return Math.max(0, Math.ceil((this.waitUntilMs - this.now()) / 1000));
  }

  async append(caption: string, bytes: Uint8Array): Promise<MessageId> {
    this.checkOpen();
    checkAppendArgs(caption, bytes);
    const max = this.options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
    if (bytes.byteLength > max) {
      throw new TgfsError(
        'INVALID_ARGUMENT',
        `a ${bytes.byteLength}-byte message is larger than the ${max} bytes a Telegram document may hold`,
      );
    }
    const earlier = this.ambiguous.get(caption);
    if (earlier !== undefined && earlier.sizeBytes === bytes.byteLength) {
      const found = await this.findRecent(caption, earlier);
      if (found !== undefined) {
        this.ambiguous.delete(caption);
        return found;
      }
    }
    // Copied once: the caller may reuse its buffer while the parts are in flight.
    const empty = bytes.byteLength === 0;
    const payload = empty ? Buffer.alloc(1) : Buffer.from(bytes);
    const file = await this.upload(payload, empty ? EMPTY_DOCUMENT_FILE_NAME : DOCUMENT_FILE_NAME);
    const sinceMs = this.now();
    let message: Api.Message | undefined;
    try {
      message = await this.call('append', () =>
        this.client.sendFile('me', { file, caption, forceDocument: true, formattingEntities: [] }),
      );
    } catch (err) {
      if (err instanceof StoreUnavailableError && !err.notApplied) {
        this.ambiguous.set(caption, { sizeBytes: bytes.byteLength, sinceMs });
      }
      throw err;
    }
    if (!(message instanceof Api.Message)) {
      this.ambiguous.set(caption, { sizeBytes: bytes.byteLength, sinceMs });
      throw new StoreUnavailableError('Telegram accepted the document but did not return its message');
    }
    this.ambiguous.delete(caption);
    return message.id;
  }

  async list(afterId: MessageId, limit: number = DEFAULT_LIST_LIMIT): Promise<StoredMessage[]> {
    this.checkOpen();
    checkListArgs(afterId, limit);
    const out: StoredMessage[] = [];
    let cursor = afterId;
    while (out.length < limit) {
      const want = Math.min(PAGE, limit - out.length);
      const page = await this.call('list', () =>
        this.client.getMessages('me', { minId: cursor, reverse: true, limit: want }),
      );
      let raw = 0;
      for (const message of page) {
        if (message === undefined) continue;
        raw++;
        if (message.id <= cursor) continue;
        cursor = message.id;
        const own = ownDocument(message);
        if (own !== undefined) out.push(own.stored);
      }
      if (raw < want) break;
    }
    return out;
  }

  async read(id: MessageId, range?: ByteRange): Promise<Uint8Array> {
    this.checkOpen();
    checkRange(range);
    let own = await this.fetch(id);
    const size = own.stored.sizeBytes;
    const start = Math.min(range?.offset ?? 0, size);
    const end = range === undefined ? size : Math.min(start + range.length, size);
    if (end <= start) return new Uint8Array(0);
    const documentBytes = own.document.size.toJSNumber();
    const out = new Uint8Array(end - start);
    for (const req of alignedFileRequests(start, end)) {
      const expected = Math.min(req.limit, documentBytes - req.offset);
      let got: Uint8Array | undefined;
      for (let refreshes = 0; got === undefined; refreshes++) {
        try {
          got = await this.getFilePart(own.document, req.offset, req.limit);
        } catch (err) {
          // A file reference is a short-lived capability: fetching the message again gives a fresh one.
          if (classifyTelegramError(err).kind !== 'file-reference-expired' || refreshes >= 3) throw err;
          own = await this.fetch(id);
        }
      }
      if (got.byteLength !== expected) {
        throw new TgfsError(
          'STORE_CORRUPT',
          `Telegram message ${id} is ${got.byteLength < expected ? 'truncated' : 'malformed'}: its ` +
            `${documentBytes}-byte document gave ${got.byteLength} bytes at offset ${req.offset} where ${expected} ` +
            'were due',
        );
      }
      const from = Math.max(start, req.offset);
      const to = Math.min(end, req.offset + got.byteLength);
      out.set(got.subarray(from - req.offset, to - req.offset), from - start);
    }
    return out;
  }

  async delete(ids: readonly MessageId[]): Promise<void> {
    this.checkOpen();
    for (let i = 0; i < ids.length; i += PAGE) {
      const chunk = ids.slice(i, i + PAGE);
      await this.call('delete', () => this.client.deleteMessages('me', chunk, { revoke: true }));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsClient ?? true) await this.client.destroy();
  }

  /** Uploads the parts; nothing is posted yet, so any failure here is known not to have taken effect. */
  private async upload(payload: Buffer, name: string): Promise<Api.InputFile | Api.InputFileBig> {
    const parts = Math.ceil(payload.byteLength / UPLOAD_PART_BYTES);
    const big = payload.byteLength > BIG_FILE_THRESHOLD_BYTES;
    const fileId = helpers.generateRandomLong(true);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let part = next++; part < parts; part = next++) {
        const bytes = payload.subarray(part * UPLOAD_PART_BYTES, (part + 1) * UPLOAD_PART_BYTES);
        const request = big
          ? new Api.upload.SaveBigFilePart({ fileId, filePart: part, fileTotalParts: parts, bytes })
          : new Api.upload.SaveFilePart({ fileId, filePart: part, bytes });
        const ok = await this.call('append', () => this.client.invoke(request), {
          notApplied: true,
          retries: PIECE_RETRIES,
        });
        if (ok !== true) {
          throw new StoreUnavailableError(`Telegram did not store part ${part} of ${parts}`, {
            notApplied: true,
          });
        }
      }
    };
    const workers = Math.max(1, Math.min(this.options.uploadWorkers ?? 4, parts));
    await Promise.all(Array.from({ length: workers }, worker));
    return big
      ? new Api.InputFileBig({ id: fileId, parts, name })
      : new Api.InputFile({ id: fileId, parts, name, md5Checksum: '' });
  }

  private async getFilePart(document: Api.Document, offset: number, limit: number): Promise<Uint8Array> {
    const location = new Api.InputDocumentFileLocation({
      id: document.id,
      accessHash: document.accessHash,
      fileReference: document.fileReference,
      thumbSize: '',
    });
    const request = new Api.upload.GetFile({ location, offset: helpers.returnBigInt(offset), limit });
    const result = await this.call('read', () => this.client.invoke(request, document.dcId), {
      retries: PIECE_RETRIES,
    });
    if (!(result instanceof Api.upload.File)) {
      throw new StoreUnavailableError(
        'Telegram redirected a download to a CDN, which tgcryptfs does not use',
      );
    }
    return result.bytes;
  }

  /** The message `id` if it is one of ours, else STORE_OBJECT_MISSING. */
  private async fetch(id: MessageId): Promise<OwnDocument> {
    const missing = () => new TgfsError('STORE_OBJECT_MISSING', `Telegram message ${id} does not exist`);
    if (!Number.isSafeInteger(id) || id < 1) throw missing();
    const [message] = await this.call('read', () => this.client.getMessages('me', { ids: [id] }));
    const own = message === undefined ? undefined : ownDocument(message);
    if (own === undefined || own.message.id !== id) throw missing();
    return own;
  }

  /** Looks, newest first, for a message with `caption` posted since an ambiguous append started. */
  private async findRecent(caption: string, earlier: AmbiguousAppend): Promise<MessageId | undefined> {
    const oldestSec = (earlier.sinceMs - SEARCH_SLACK_MS) / 1000;
    let offsetId = 0;
    for (;;) {
      const page = await this.call('append', () => this.client.getMessages('me', { offsetId, limit: PAGE }));
      let oldest: Api.Message | undefined;
      for (const message of page) {
        if (message === undefined) continue;
        oldest = message;
        const own = ownDocument(message);
        if (own?.stored.caption === caption && own.stored.sizeBytes === earlier.sizeBytes) return message.id;
      }
      if (oldest === undefined || oldest.date < oldestSec || page.length < PAGE) return undefined;
      offsetId = oldest.id;
    }
  }

  /**
   * Runs one request, waiting out flood waits and mapping failures onto the store's errors. `retries` re-sends an
   * idempotent piece of a larger job (an upload part, a download piece) after a transient failure, so that one
   * dropped connection does not restart a many-part transfer.
   */
  private async call<T>(
    what: string,
    run: () => Promise<T>,
    opts: { notApplied?: boolean; retries?: number } = {},
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        const failure = classifyTelegramError(err);
        switch (failure.kind) {
          case 'flood-wait':
            await this.floodWait(what, failure.seconds, err);
            continue;
          case 'session-revoked':
            throw new TgfsError(
              'TELEGRAM_LOGIN_REQUIRED',
              `Telegram no longer accepts this session (${failure.reason}): log in again with ` +
                '`tgcryptfs telegram login`',
              { cause: err },
            );
          case 'transient':
            if (attempt < (opts.retries ?? 0)) {
              await this.sleep(PIECE_RETRY_MS * 2 ** attempt);
              continue;
            }
            throw new StoreUnavailableError(`Telegram ${what} failed: ${failure.reason}`, {
              cause: err,
              notApplied: opts.notApplied ?? false,
            });
          case 'file-reference-expired':
          case 'other':
            throw err;
        }
      }
    }
  }

  private async floodWait(what: string, seconds: number, cause: unknown): Promise<void> {
    const ms = seconds * 1000;
    const max = this.options.maxFloodWaitMs ?? 3_600_000;
    if (ms > max) {
      throw new StoreUnavailableError(
        `Telegram asks to wait ${seconds} s before the next ${what} (flood wait), longer than the ` +
          `${Math.round(max / 1000)} s this store waits out`,
        { cause, retryAfterMs: ms, notApplied: true },
      );
    }
    this.activeWaits++;
    this.waitUntilMs = Math.max(this.waitUntilMs, this.now() + ms);
    try {
      this.options.onWait?.(seconds);
      await this.sleep(ms);
    } finally {
      this.activeWaits--;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('TelegramMessageStore is closed');
  }
}

/** The document of a message this store lists: one it posted, or one with a tgfs caption; else undefined. */
function ownDocument(message: Api.Message): OwnDocument | undefined {
  if (!(message instanceof Api.Message)) return undefined;
  const media = message.media;
  if (!(media instanceof Api.MessageMediaDocument) || !(media.document instanceof Api.Document))
    return undefined;
  const document = media.document;
  const name = document.attributes.find((a) => a instanceof Api.DocumentAttributeFilename)?.fileName;
  const caption = message.message ?? '';
  if (
    name !== DOCUMENT_FILE_NAME &&
    name !== EMPTY_DOCUMENT_FILE_NAME &&
    parseCaption(caption) === undefined
  ) {
    return undefined;
  }
  const sizeBytes = name === EMPTY_DOCUMENT_FILE_NAME ? 0 : document.size.toJSNumber();
  return { message, document, stored: { id: message.id, caption, sizeBytes, dateMs: message.date * 1000 } };
}
