import type { MessageId, MessageStore, StoredMessage } from './message-store.js';

/** Every message after `afterId`, a page at a time, ascending: the one paging loop over `list`. */
export async function* listPages(
  store: MessageStore,
  afterId: MessageId = 0,
  pageSize = 500,
): AsyncGenerator<StoredMessage[]> {
  for (let after = afterId; ; ) {
    const page = await store.list(after, pageSize);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.id;
  }
}
