import type { MessageId, MessageStore, StoredMessage } from './message-store.js';

/**
 * The first message after `afterId` carrying exactly `caption` (and, if given, `sizeBytes`), or undefined.
 *
 * This is how a writer makes appends idempotent: the store cannot tell whether an append whose reply was lost
 * posted, but tgcryptfs captions name the object (`tgfs:{ns}:{type}:{id}`), so listing from the last id known
 * before the append finds the message if it landed. Scans to the end of the store, one page at a time.
 */
export async function findByCaption(
  store: MessageStore,
  caption: string,
  afterId: MessageId,
  options: { sizeBytes?: number; pageSize?: number } = {},
): Promise<StoredMessage | undefined> {
  let after = afterId;
  for (;;) {
    const page = await store.list(after, options.pageSize ?? 100);
    if (page.length === 0) return undefined;
    for (const msg of page) {
      if (
        msg.caption === caption &&
        (options.sizeBytes === undefined || msg.sizeBytes === options.sizeBytes)
      ) {
        return msg;
      }
    }
    after = page[page.length - 1]!.id;
  }
}
