import { Command, Option } from 'clipanion';
import { reportLines, type SyncReport } from '../../home/sync-service.js';
import { SyncCommand } from '../sync-command.js';

export class SyncNowCommand extends SyncCommand {
  static override paths = [['sync', 'now']];
  static override usage = Command.Usage({
    description: 'Push pending work to the store and pull what other machines wrote, now',
    details: `
      With a mount of this home running, asks it to sync; otherwise syncs the home directly.
      Messages that fail verification are rejected and listed by \`tgcryptfs sync status\`.
    `,
  });

  json = Option.Boolean('--json', false, { description: 'Print the report as JSON' });

  async run(): Promise<number> {
    const report =
      ((await this.viaMount('sync.now')) as SyncReport | undefined) ??
      (await this.withSync((_home, sync) => sync.engine.sync()));
    if (this.json) this.printJson(report);
    else for (const line of reportLines(report)) this.print(line);
    return 0;
  }
}
