import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Api, errors, helpers } from 'telegram';
import type { UserAuthParams } from 'telegram/client/auth.js';
import { mulberry32 } from '../../src/transport/store/fault-store.js';
import type {
  GetMessagesParams,
  SendDocumentParams,
  TelegramClientOptions,
  TelegramClientPort,
} from '../../src/transport/store/telegram/telegram-client.js';

/**
 * An in-memory Telegram account behind exactly the `TelegramClientPort` the adapter uses: Saved Messages, file
 * uploads and downloads. It enforces the server's rules — upload part sizes and counts, getFile alignment, caption
 * length — so that an adapter breaking them fails here as it would against Telegram, and it can inject what
 * Telegram does to clients: flood waits (real GramJS FloodWaitError instances), dropped connections before or
 * after a request took effect, expired file references, revoked sessions, truncated and forged documents.
 */

export type FakeMethod = 'saveFilePart' | 'sendFile' | 'getMessages' | 'getFile' | 'deleteMessages';

export type FakeFault =
  | { readonly kind: 'flood-wait'; readonly seconds: number; readonly premium?: boolean }
  /** The connection drops before the server sees the request. */
  | { readonly kind: 'drop' }
  /** The request takes effect, then the connection drops before the reply. */
  | { readonly kind: 'drop-after' }
  /** Telegram answers with this RPC error (e.g. 401 AUTH_KEY_UNREGISTERED). */
  | { readonly kind: 'rpc'; readonly code: number; readonly message: string };

export interface FakeTelegramOptions {
  /** Seed of the RNG drawing random faults. */
  readonly seed?: number;
  /** Fraction of calls whose connection drops before they reach the server. */
  readonly dropRate?: number;
  /** Fraction of calls whose connection drops after they took effect. */
  readonly dropAfterRate?: number;
  /** Fraction of calls refused with FLOOD_WAIT_`floodWaitSeconds` (half of them as FLOOD_PREMIUM_WAIT). */
  readonly floodWaitRate?: number;
  readonly floodWaitSeconds?: number;
  /** Which calls random faults may hit (default: all). */
  readonly faultMethods?: readonly FakeMethod[];
  /** The account `start()` accepts. */
  readonly account?: { readonly phone: string; readonly code: string; readonly password?: string };
  /** The saved session: logged in if it came from a fake login; '' for a new login (default: logged in). */
  readonly session?: string;
  readonly now?: () => number;
  /**
   * A file holding the account's Saved Messages, so that separate processes (a mount, then a rebuild on a
   * wiped home) see one account, as with the real Telegram.
   */
  readonly stateFile?: string;
}

export interface FakeRequest {
  readonly method: FakeMethod;
  readonly offset?: number;
  readonly limit?: number;
  readonly bytes?: number;
}

interface StoredDocument {
  readonly id: number;
  readonly date: number;
  readonly caption: string;
  readonly fileName: string | undefined;
  /** The document's declared size. */
  readonly sizeBytes: number;
  /** What downloads serve: normally the uploaded bytes, shorter when truncated, different when forged. */
  served: Buffer;
  readonly docId: ReturnType<typeof helpers.returnBigInt>;
  readonly accessHash: ReturnType<typeof helpers.returnBigInt>;
  referenceGeneration: number;
}

type PersistedDocument = Omit<StoredDocument, 'served' | 'docId' | 'accessHash'> & {
  served: string;
  docId: string;
  accessHash: string;
};

interface PendingUpload {
  readonly parts: Map<number, Buffer>;
  readonly big: boolean;
  totalParts?: number;
}

const PART_MAX = 512 * 1024;
const SMALL_FILE_MAX = 10 * 1024 * 1024;
const MAX_PARTS = 4000;
const MIB = 1024 * 1024;
const CAPTION_MAX = 1024;
const SELF_USER_ID = 777000111;
const DC_ID = 2;

export const FAKE_ACCOUNT = { phone: '+15550100', code: '12345' } as const;
export const FAKE_SESSION_PREFIX = 'fake-session:';

export class FakeTelegramClient implements TelegramClientPort {
  /** Every request that reached the server, in order. */
  readonly requests: FakeRequest[] = [];
  /** Every fault injected, in order. */
  readonly injected: { readonly method: FakeMethod; readonly fault: FakeFault }[] = [];
  /** Auth errors the login flow reported through onError. */
  readonly authErrors: string[] = [];
  readonly session = { save: (): string => this.sessionString };
  connected = false;
  destroyed = false;
  private sessionString: string;
  private authorized: boolean;
  private readonly docs = new Map<number, StoredDocument>();
  private readonly uploads = new Map<string, PendingUpload>();
  private readonly queued: { method: FakeMethod; fault: FakeFault }[] = [];
  private readonly random: () => number;
  private lastId = 0;
  private expireAfterDownloads: number | undefined;
  private faultsEnabled = true;

  constructor(private readonly options: FakeTelegramOptions = {}) {
    this.random = mulberry32(options.seed ?? 1);
    // Without a session option the account starts logged in, as the store tests want.
    this.sessionString = options.session ?? `${FAKE_SESSION_PREFIX}${FAKE_ACCOUNT.phone}`;
    this.authorized = this.sessionString.startsWith(FAKE_SESSION_PREFIX);
    if (options.stateFile !== undefined && existsSync(options.stateFile)) this.load(options.stateFile);
  }

  private load(file: string): void {
    const state = JSON.parse(readFileSync(file, 'utf8')) as { lastId: number; docs: PersistedDocument[] };
    this.lastId = state.lastId;
    this.docs.clear();
    for (const d of state.docs) {
      this.docs.set(d.id, {
        ...d,
        served: Buffer.from(d.served, 'base64'),
        docId: helpers.returnBigInt(d.docId),
        accessHash: helpers.returnBigInt(d.accessHash),
      });
    }
  }

  /** Called after every change to Saved Messages. */
  private persist(): void {
    const file = this.options.stateFile;
    if (file === undefined) return;
    const docs: PersistedDocument[] = [...this.docs.values()].map((d) => ({
      ...d,
      served: d.served.toString('base64'),
      docId: d.docId.toString(),
      accessHash: d.accessHash.toString(),
    }));
    writeFileSync(`${file}.tmp`, JSON.stringify({ lastId: this.lastId, docs }));
    renameSync(`${file}.tmp`, file);
  }

  // ---- test controls ----

  /** Makes the next call of `method` fail with `fault`. */
  inject(method: FakeMethod, fault: FakeFault): void {
    this.queued.push({ method, fault });
  }

  setFaultsEnabled(enabled: boolean): void {
    this.faultsEnabled = enabled;
  }

  /** Every file reference handed out so far stops working after `downloads` more getFile calls. */
  expireFileReferencesAfter(downloads: number): void {
    this.expireAfterDownloads = downloads;
  }

  /** Downloads of message `id` serve only its first `lengthBytes` bytes; its declared size stays. */
  truncate(id: number, lengthBytes: number): void {
    const doc = this.mustGet(id);
    doc.served = doc.served.subarray(0, lengthBytes);
  }

  /** Downloads of message `id` serve `bytes` instead of what was uploaded. */
  forge(id: number, bytes: Uint8Array): void {
    this.mustGet(id).served = Buffer.from(bytes);
  }

  /** The session is revoked from another device: every call fails with 401 AUTH_KEY_UNREGISTERED. */
  revokeSession(): void {
    this.authorized = false;
  }

  /** A message the user posted themselves: a note, or a document of their own. */
  addForeignMessage(text: string, document?: { fileName: string; bytes: Uint8Array }): number {
    const id = ++this.lastId;
    this.docs.set(id, {
      id,
      date: this.nowSec(),
      caption: text,
      fileName: document?.fileName,
      sizeBytes: document?.bytes.byteLength ?? 0,
      served: Buffer.from(document?.bytes ?? new Uint8Array(0)),
      docId: helpers.generateRandomLong(true),
      accessHash: helpers.generateRandomLong(true),
      referenceGeneration: 0,
    });
    return id;
  }

  /** Messages posted (by anyone) and not deleted. */
  get messageCount(): number {
    return this.docs.size;
  }

  // ---- TelegramClientPort ----

  async connect(): Promise<boolean> {
    this.connected = true;
    return true;
  }

  async checkAuthorization(): Promise<boolean> {
    this.checkConnected();
    return this.authorized;
  }

  async start(params: UserAuthParams): Promise<void> {
    if (!this.connected) await this.connect();
    if (this.authorized) return;
    const account: NonNullable<FakeTelegramOptions['account']> = this.options.account ?? FAKE_ACCOUNT;
    const refuse = async (message: string): Promise<void> => {
      this.authErrors.push(message);
      const err = errors.RPCMessageToError(
        new Api.RpcError({ errorCode: 400, errorMessage: message }),
        undefined as never,
      );
      if (await params.onError(err)) throw new Error('AUTH_USER_CANCEL');
    };
    for (;;) {
      const phone =
        typeof params.phoneNumber === 'function' ? await params.phoneNumber() : params.phoneNumber;
      if (phone === account.phone) break;
      await refuse('PHONE_NUMBER_INVALID');
    }
    for (;;) {
      const code = await params.phoneCode(false);
      if (code === account.code) break;
      await refuse('PHONE_CODE_INVALID');
    }
    if (account.password !== undefined) {
      for (;;) {
        if (params.password === undefined) throw new Error('Account has 2FA enabled.');
        const password = await params.password('fake hint');
        if (password === account.password) break;
        await refuse('PASSWORD_HASH_INVALID');
      }
    }
    this.authorized = true;
    this.sessionString = `${FAKE_SESSION_PREFIX}${account.phone}`;
  }

  async invoke<R extends Api.AnyRequest>(request: R, _dcId?: number): Promise<R['__response']> {
    if (request instanceof Api.upload.SaveFilePart || request instanceof Api.upload.SaveBigFilePart) {
      return (await this.serve('saveFilePart', request, () => this.saveFilePart(request))) as R['__response'];
    }
    if (request instanceof Api.upload.GetFile) {
      return (await this.serve('getFile', request, () => this.getFile(request))) as R['__response'];
    }
    throw new TypeError(`the fake Telegram client does not serve ${request.className}`);
  }

  async sendFile(entity: 'me', params: SendDocumentParams): Promise<Api.Message> {
    if (entity !== 'me') throw new TypeError('the adapter only posts to Saved Messages');
    if (!Array.isArray(params.formattingEntities) || params.formattingEntities.length !== 0) {
      throw new TypeError('pass formattingEntities: [] or GramJS parses the caption as Markdown');
    }
    if (params.forceDocument !== true) throw new TypeError('documents must be sent with forceDocument');
    const request = new Api.messages.SendMedia({
      peer: new Api.InputPeerSelf(),
      media: new Api.InputMediaEmpty(),
      message: params.caption,
    });
    return this.serve('sendFile', request, () => this.postDocument(request, params));
  }

  async getMessages(entity: 'me', params: GetMessagesParams): Promise<Array<Api.Message | undefined>> {
    if (entity !== 'me') throw new TypeError('the adapter only reads Saved Messages');
    const request = new Api.messages.GetHistory({ peer: new Api.InputPeerSelf() });
    return this.serve('getMessages', request, () => this.history(params));
  }

  async deleteMessages(entity: 'me', ids: number[], options: { revoke: boolean }): Promise<unknown> {
    if (entity !== 'me') throw new TypeError('the adapter only deletes from Saved Messages');
    if (!options.revoke) throw new TypeError('deletes must revoke');
    if (ids.length > 100) throw new TypeError('GramJS chunks deletes by 100; ask for at most that');
    const request = new Api.messages.DeleteMessages({ id: ids, revoke: true });
    return this.serve('deleteMessages', request, () => {
      for (const id of ids) this.docs.delete(id);
      this.persist();
      return [new Api.messages.AffectedMessages({ pts: 0, ptsCount: ids.length })];
    });
  }

  async destroy(): Promise<void> {
    this.connected = false;
    this.destroyed = true;
  }

  // ---- server side ----

  private async serve<T>(method: FakeMethod, request: Api.AnyRequest, run: () => T): Promise<T> {
    this.checkConnected();
    if (!this.authorized) throw this.rpc(request, 401, 'AUTH_KEY_UNREGISTERED');
    const fault = this.drawFault(method);
    if (fault !== undefined) this.injected.push({ method, fault });
    if (fault?.kind === 'drop') throw new Error('Connection closed while sending the request (injected)');
    if (fault?.kind === 'flood-wait') {
      const name = fault.premium ? 'FLOOD_PREMIUM_WAIT' : 'FLOOD_WAIT';
      throw this.rpc(request, 420, `${name}_${fault.seconds}`);
    }
    if (fault?.kind === 'rpc') throw this.rpc(request, fault.code, fault.message);
    // Another client of the same account (another process, or a second store in this one) may have posted.
    if (this.options.stateFile !== undefined && existsSync(this.options.stateFile))
      this.load(this.options.stateFile);
    const result = run();
    if (fault?.kind === 'drop-after')
      throw new Error('Connection closed before the reply arrived (injected)');
    return result;
  }

  private saveFilePart(request: Api.upload.SaveFilePart | Api.upload.SaveBigFilePart): boolean {
    const big = request instanceof Api.upload.SaveBigFilePart;
    const bytes = Buffer.from(request.bytes);
    this.requests.push({ method: 'saveFilePart', bytes: bytes.byteLength });
    if (bytes.byteLength > PART_MAX) throw this.rpc(request, 400, 'FILE_PART_TOO_BIG');
    if (bytes.byteLength === 0) throw this.rpc(request, 400, 'FILE_PART_EMPTY');
    if (request.filePart < 0 || request.filePart >= MAX_PARTS)
      throw this.rpc(request, 400, 'FILE_PART_INVALID');
    const key = request.fileId.toString();
    const upload = this.uploads.get(key) ?? { parts: new Map<number, Buffer>(), big };
    if (upload.big !== big) throw this.rpc(request, 400, 'FILE_PART_INVALID');
    if (request instanceof Api.upload.SaveBigFilePart) {
      if (request.fileTotalParts > MAX_PARTS || request.fileTotalParts <= request.filePart) {
        throw this.rpc(request, 400, 'FILE_PARTS_INVALID');
      }
      if (upload.totalParts !== undefined && upload.totalParts !== request.fileTotalParts) {
        throw this.rpc(request, 400, 'FILE_PARTS_INVALID');
      }
      upload.totalParts = request.fileTotalParts;
    }
    upload.parts.set(request.filePart, bytes);
    this.uploads.set(key, upload);
    return true;
  }

  private postDocument(request: Api.AnyRequest, params: SendDocumentParams): Api.Message {
    this.requests.push({ method: 'sendFile' });
    if (params.caption.length > CAPTION_MAX) throw this.rpc(request, 400, 'MEDIA_CAPTION_TOO_LONG');
    const file = params.file;
    const upload = this.uploads.get(file.id.toString());
    if (upload === undefined || file.parts < 1 || file.parts > MAX_PARTS) {
      throw this.rpc(request, 400, 'FILE_PARTS_INVALID');
    }
    if (upload.big !== file instanceof Api.InputFileBig) throw this.rpc(request, 400, 'FILE_PARTS_INVALID');
    const parts: Buffer[] = [];
    for (let i = 0; i < file.parts; i++) {
      const part = upload.parts.get(i);
      if (part === undefined) throw this.rpc(request, 400, 'FILE_PARTS_INVALID');
      parts.push(part);
    }
    // Telegram's part rule: every part but the last has one size, a multiple of 1 KiB dividing 512 KiB.
    const partSize = parts[0]!.byteLength;
    if (parts.length > 1 && (partSize % 1024 !== 0 || PART_MAX % partSize !== 0)) {
      throw this.rpc(request, 400, 'FILE_PART_SIZE_INVALID');
    }
    for (let i = 0; i < parts.length - 1; i++) {
      if (parts[i]!.byteLength !== partSize) throw this.rpc(request, 400, 'FILE_PART_SIZE_CHANGED');
    }
    if (parts[parts.length - 1]!.byteLength > partSize)
      throw this.rpc(request, 400, 'FILE_PART_SIZE_CHANGED');
    const bytes = Buffer.concat(parts);
    if (!upload.big && bytes.byteLength > SMALL_FILE_MAX) throw this.rpc(request, 400, 'FILE_PART_TOO_BIG');
    this.uploads.delete(file.id.toString());
    const id = ++this.lastId;
    const doc: StoredDocument = {
      id,
      date: this.nowSec(),
      caption: params.caption,
      fileName: file.name,
      sizeBytes: bytes.byteLength,
      served: bytes,
      docId: helpers.generateRandomLong(true),
      accessHash: helpers.generateRandomLong(true),
      referenceGeneration: 0,
    };
    this.docs.set(id, doc);
    this.persist();
    return this.message(doc);
  }

  private history(params: GetMessagesParams): Array<Api.Message | undefined> {
    this.requests.push({ method: 'getMessages' });
    if (params.ids !== undefined) return params.ids.map((id) => this.messageOf(id));
    const limit = params.limit ?? Number.MAX_SAFE_INTEGER;
    const ids = [...this.docs.keys()].sort((a, b) => a - b);
    if (params.reverse) {
      const from = Math.max(params.minId ?? 0, params.offsetId ?? 0);
      return ids
        .filter((id) => id > from)
        .slice(0, limit)
        .map((id) => this.messageOf(id));
    }
    const below = params.offsetId ? params.offsetId : Number.MAX_SAFE_INTEGER;
    return ids
      .filter((id) => id < below && id > (params.minId ?? 0))
      .reverse()
      .slice(0, limit)
      .map((id) => this.messageOf(id));
  }

  private getFile(request: Api.upload.GetFile): Api.upload.File {
    const offset = request.offset.toJSNumber();
    const limit = request.limit;
    this.requests.push({ method: 'getFile', offset, limit });
    // Telegram's rules for upload.getFile without `precise`.
    if (offset % 4096 !== 0) throw this.rpc(request, 400, 'OFFSET_INVALID');
    if (limit <= 0 || limit % 4096 !== 0 || limit > MIB || MIB % limit !== 0) {
      throw this.rpc(request, 400, 'LIMIT_INVALID');
    }
    if (Math.floor(offset / MIB) !== Math.floor((offset + limit - 1) / MIB)) {
      throw this.rpc(request, 400, 'LIMIT_INVALID');
    }
    const location = request.location;
    if (!(location instanceof Api.InputDocumentFileLocation))
      throw this.rpc(request, 400, 'LOCATION_INVALID');
    const doc = [...this.docs.values()].find((d) => d.docId.equals(location.id));
    if (doc === undefined || !doc.accessHash.equals(location.accessHash)) {
      throw this.rpc(request, 400, 'FILE_ID_INVALID');
    }
    if (this.expireAfterDownloads !== undefined && this.expireAfterDownloads-- <= 0) {
      this.expireAfterDownloads = undefined;
      for (const d of this.docs.values()) d.referenceGeneration++;
    }
    if (!Buffer.from(location.fileReference).equals(reference(doc))) {
      throw this.rpc(request, 400, 'FILE_REFERENCE_EXPIRED');
    }
    return new Api.upload.File({
      type: new Api.storage.FilePartial(),
      mtime: doc.date,
      bytes: Buffer.from(doc.served.subarray(Math.min(offset, doc.served.byteLength), offset + limit)),
    });
  }

  private messageOf(id: number): Api.Message | undefined {
    const doc = this.docs.get(id);
    return doc === undefined ? undefined : this.message(doc);
  }

  private message(doc: StoredDocument): Api.Message {
    const media =
      doc.fileName === undefined
        ? undefined
        : new Api.MessageMediaDocument({
            document: new Api.Document({
              id: doc.docId,
              accessHash: doc.accessHash,
              fileReference: reference(doc),
              date: doc.date,
              mimeType: 'application/octet-stream',
              size: helpers.returnBigInt(doc.sizeBytes),
              dcId: DC_ID,
              attributes: [new Api.DocumentAttributeFilename({ fileName: doc.fileName })],
            }),
          });
    return new Api.Message({
      id: doc.id,
      peerId: new Api.PeerUser({ userId: helpers.returnBigInt(SELF_USER_ID) }),
      date: doc.date,
      message: doc.caption,
      ...(media === undefined ? {} : { media }),
    });
  }

  private drawFault(method: FakeMethod): FakeFault | undefined {
    const index = this.queued.findIndex((q) => q.method === method);
    if (index >= 0) return this.queued.splice(index, 1)[0]!.fault;
    if (!this.faultsEnabled) return undefined;
    if (this.options.faultMethods !== undefined && !this.options.faultMethods.includes(method))
      return undefined;
    const { dropRate = 0, dropAfterRate = 0, floodWaitRate = 0 } = this.options;
    if (dropRate + dropAfterRate + floodWaitRate === 0) return undefined;
    const r = this.random();
    if (r < dropRate) return { kind: 'drop' };
    if (r < dropRate + dropAfterRate) return { kind: 'drop-after' };
    if (r < dropRate + dropAfterRate + floodWaitRate) {
      return {
        kind: 'flood-wait',
        seconds: this.options.floodWaitSeconds ?? 1,
        premium: this.random() < 0.5,
      };
    }
    return undefined;
  }

  private rpc(request: Api.AnyRequest | undefined, code: number, message: string): Error {
    return errors.RPCMessageToError(
      new Api.RpcError({ errorCode: code, errorMessage: message }),
      request as never,
    );
  }

  private checkConnected(): void {
    if (!this.connected)
      throw new Error('Cannot send requests while disconnected. You need to call .connect()');
  }

  private mustGet(id: number): StoredDocument {
    const doc = this.docs.get(id);
    if (doc === undefined) throw new RangeError(`no message ${id} in the fake`);
    return doc;
  }

  private nowSec(): number {
    return Math.floor((this.options.now ?? Date.now)() / 1000);
  }
}

function reference(doc: StoredDocument): Buffer {
  return Buffer.from(`ref:${doc.docId.toString()}:${doc.referenceGeneration}`);
}

/**
 * The factory `TGCRYPTFS_TELEGRAM_FAKE` loads: a fake per process, logged in when the session came from an
 * earlier fake login. The account's 2FA password comes from TGCRYPTFS_FAKE_TELEGRAM_2FA, and its Saved Messages
 * from the file TGCRYPTFS_FAKE_TELEGRAM_STATE (shared by every process that names it) when set; each client
 * created is logged to TGCRYPTFS_FAKE_TELEGRAM_CLIENT_LOG when set.
 */
export async function createTelegramClient(options: TelegramClientOptions): Promise<TelegramClientPort> {
  const password = process.env['TGCRYPTFS_FAKE_TELEGRAM_2FA'];
  const stateFile = process.env['TGCRYPTFS_FAKE_TELEGRAM_STATE'];
  // One line per client, naming the process: tests count the connections a process opens.
  const clientLog = process.env['TGCRYPTFS_FAKE_TELEGRAM_CLIENT_LOG'];
  if (clientLog) appendFileSync(clientLog, `${process.pid}\n`);
  return new FakeTelegramClient({
    session: options.session,
    account: { ...FAKE_ACCOUNT, ...(password ? { password } : {}) },
    ...(stateFile ? { stateFile } : {}),
  });
}
