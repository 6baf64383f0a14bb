import type { VerifyContext } from '../../events/event-verifier.js';
import type { ChainHead, OpLog } from '../../events/op-log.js';
import type { EventId, MachineId, NamespaceId, SignedEvent } from '../../events/types.js';

/**
 * A VerifyContext over the op log for one batch: verifyEvent is synchronous, so the chain positions a batch
 * can ask about (each event's seq, each author's head) are read from the log first. Events the batch
 * accepts are layered on top, so a batch holding seq 4, 5 and 6 of one author checks each link.
 */
export class LogVerifyContext implements VerifyContext {
  private readonly heads = new Map<string, ChainHead | undefined>();
  private readonly ids = new Map<string, EventId | undefined>();
  private readonly joined = new Map<MachineId, Uint8Array>();

  private constructor(private readonly keyOf: (author: MachineId) => Uint8Array | undefined) {}

  static async prefetch(
    log: OpLog,
    events: readonly SignedEvent[],
    keyOf: (author: MachineId) => Uint8Array | undefined,
  ): Promise<LogVerifyContext> {
    const ctx = new LogVerifyContext(keyOf);
    const chains = new Map<string, { ns: NamespaceId; author: MachineId }>();
    for (const { event: e } of events) chains.set(`${e.ns}/${e.author}`, { ns: e.ns, author: e.author });
    await Promise.all([
      ...[...chains].map(async ([k, c]) => ctx.heads.set(k, await log.headOf(c.ns, c.author))),
      ...events.map(async ({ event: e }) =>
        ctx.ids.set(`${e.ns}/${e.author}/${e.seq}`, await log.idAt(e.ns, e.author, e.seq)),
      ),
    ]);
    return ctx;
  }

  publicKeyOf(author: MachineId): Uint8Array | undefined {
    return this.keyOf(author) ?? this.joined.get(author);
  }

  idAt(ns: NamespaceId, author: MachineId, seq: number): EventId | undefined {
    return this.ids.get(`${ns}/${author}/${seq}`);
  }

  headOf(ns: NamespaceId, author: MachineId): ChainHead | undefined {
    return this.heads.get(`${ns}/${author}`);
  }

  /** Records an event verifyEvent called 'new', so later events of the batch see it. */
  accept(se: SignedEvent): void {
    const e = se.event;
    this.ids.set(`${e.ns}/${e.author}/${e.seq}`, se.id);
    this.heads.set(`${e.ns}/${e.author}`, { seq: e.seq, id: se.id, hlc: e.hlc });
    if (e.type === 'MachineJoined' && e.body.machine === e.author)
      this.joined.set(e.author, e.body.publicKey);
  }
}
