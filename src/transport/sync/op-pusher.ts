import { newRandomId } from '../../crypto/ids.js';
import type { OpLog, PendingEntry } from '../../events/op-log.js';
import type { NamespaceId } from '../../events/types.js';
import type { ChunkStore } from '../content/chunk-store.js';
import { formatCaption } from '../store/captions.js';
import type { MessageId, MessageStore } from '../store/message-store.js';
import { encodeOpMessage } from './op-message.js';

/** Events per `op` message: many events share one message, so a `cp -r` costs a handful of messages. */
export const EVENTS_PER_MESSAGE = 5000;

export interface PushResult {
  readonly packs: number;
  readonly opMessages: number;
  readonly events: number;
}

/** Told of every `op` message posted, before its events leave the pending set (sync bookkeeping). */
export type PostedListener = (messageId: MessageId, batch: readonly PendingEntry[]) => Promise<void>;

/**
 * Mirrors one namespace's local work to the store: first the chunks (as packs), then the `op` messages of the
 * events that reference them, so a reader never sees an event whose content is not in the store yet.
 * Records stay sealed with the namespace event key (format: op-message.ts). A reply lost after posting makes a
 * retry post the batch again: readers insert by event id, so a duplicate changes nothing.
 */
export class OpPusher {
  private running: Promise<PushResult> | undefined;
  private again = false;
  private readonly listeners: PostedListener[] = [];

  constructor(
    private readonly log: OpLog,
    private readonly ns: NamespaceId,
    /** The namespace's content store; none for the cluster namespace, whose events reference no chunks. */
    private readonly chunks: ChunkStore | undefined,
    private readonly store: MessageStore,
  ) {}

  onPosted(listener: PostedListener): void {
    this.listeners.push(listener);
  }

  /** Pushes what is pending; concurrent calls share one run (and one more runs if work arrived meanwhile). */
  push(): Promise<PushResult> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.push().catch(() => undefined);
      }
    });
    return this.running;
  }

  private async run(): Promise<PushResult> {
    const packs = this.chunks === undefined ? 0 : (await this.chunks.flushToStore()).packs;
    let opMessages = 0;
    let events = 0;
    for (;;) {
      const batch = await this.log.pendingEntries(this.ns, EVENTS_PER_MESSAGE);
      if (batch.length === 0) break;
      const body = encodeOpMessage({ ns: this.ns, events: batch.map((e) => [e.id, e.sealed] as const) });
      const caption = formatCaption({ namespace: this.ns, type: 'op', id: newRandomId() });
      const messageId = await this.store.append(caption, body);
      for (const listener of this.listeners) await listener(messageId, batch);
      await this.log.clearPending(batch);
      opMessages++;
      events += batch.length;
      // Only a full message calls for another right away: while a copy is running, the events that trickle
      // in meanwhile wait for the next push instead of going out a few per message.
      if (batch.length < EVENTS_PER_MESSAGE) break;
    }
    return { packs, opMessages, events };
  }
}
