import { Command, Option } from 'clipanion';
import { type SyncStatusView, syncStatus } from '../../home/sync-service.js';
import { SyncCommand } from '../sync-command.js';

export class SyncStatusCommand extends SyncCommand {
  static override paths = [['sync', 'status']];
  static override usage = Command.Usage({
    description: 'Show pending uploads, the last push and pull, flood waits and rejected messages',
    details: `
      Asks the running mount of this home when there is one (over \`$TGCRYPTFS_HOME/control.sock\`), otherwise
      reads the home. Rejected messages (forged, damaged, forking) changed nothing; held ones (a gap in an
      author's events) are retried on every pull.
    `,
  });

  json = Option.Boolean('--json', false, { description: 'Print as JSON' });

  async run(): Promise<number> {
    const status =
      ((await this.viaMount('sync.status')) as SyncStatusView | undefined) ??
      (await this.withSync((home, sync) => syncStatus(home, sync.state)));
    if (this.json) {
      this.printJson(status);
      return 0;
    }
    this.print(`pending     ${status.pending.events} events, ${status.pending.chunks} chunks`);
    for (const n of status.pending.namespaces) {
      if (n.events + n.chunks > 0) this.print(`  ${n.name}: ${n.events} events, ${n.chunks} chunks`);
    }
    this.print(
      `last push   ${status.lastPush ?? 'never'}${status.lastPushError ? ` (failed: ${status.lastPushError})` : ''}`,
    );
    this.print(
      `last pull   ${status.lastPull ?? 'never'}${status.lastPullError ? ` (failed: ${status.lastPullError})` : ''}`,
    );
    this.print(
      `flood wait  ${status.floodWait === null ? 'none' : `${status.floodWait.seconds} s, until ${status.floodWait.until}`}`,
    );
    this.print(`events      ${status.pushedEvents} pushed, ${status.pulledEvents} pulled`);
    if (status.duplicateMessages > 0) this.print(`duplicates  ${status.duplicateMessages} messages ignored`);
    this.print(`rejected    ${status.rejected.length}`);
    for (const r of status.rejected) {
      this.print(`  message ${r.messageId}${r.held ? ' (held, retried on every pull)' : ''}: ${r.reason}`);
    }
    this.print(`refused     ${status.refused.length} events (the namespace's policy does not count them)`);
    for (const r of status.refused)
      this.print(`  ${r.namespace}: ${r.type} ${r.author}#${r.seq}: ${r.reason}`);
    return 0;
  }
}
