import { randomBytes } from 'node:crypto';
import { encode } from 'cbor-x';
import type { OpLog } from '../events/op-log.js';
import type { NamespaceId } from '../events/types.js';
import { formatCaption } from './captions.js';
import type { ChunkStore } from './chunk-store.js';
import type { MessageStore } from './message-store.js';

/** Events per `op` message: many events share one message, so a `cp -r` costs a handful of messages. */
const EVENTS_PER_MESSAGE = 5000;

export interface PushResult {
  readonly packs: number;
  readonly opMessages: number;
  readonly events: number;
}

/**
 * Mirrors one namespace's local work to the store: first the chunks (as packs), then the `op` messages of the
 * events that reference them, so a reader never sees an event whose content is not in the store yet.
 * An `op` message is CBOR `{ v: 1, ns, events: [[eventId, sealedRecord], …] }`; records stay sealed with the
 * namespace event key. A reply lost after posting makes a retry post the batch again: readers insert by
 * event id, so a duplicate changes nothing.
 */
export class OpPusher {
  private running: Promise<PushResult> | undefined;
  private again = false;

  constructor(
    private readonly log: OpLog,
    private readonly ns: NamespaceId,
    private readonly chunks: ChunkStore,
    private readonly store: MessageStore,
  ) {}

  /** Pushes everything pending; concurrent calls share one run (and one more runs if work arrived meanwhile). */
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
    const flushed = await this.chunks.flushToStore();
    let opMessages = 0;
    let events = 0;
    for (;;) {
      const batch = await this.log.pendingEntries(this.ns, EVENTS_PER_MESSAGE);
      if (batch.length === 0) break;
      const body = encode({ v: 1, ns: this.ns, events: batch.map((e) => [e.id, e.sealed]) });
      await this.store.append(
        formatCaption({ namespace: this.ns, type: 'op', id: randomBytes(16).toString('hex') }),
        body,
      );
      await this.log.clearPending(batch);
      opMessages++;
      events += batch.length;
    }
    return { packs: flushed.packs, opMessages, events };
  }
}
