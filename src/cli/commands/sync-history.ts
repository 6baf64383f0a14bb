import { Command, Option } from 'clipanion';
import { type HistoryView, limitOf, syncHistory } from '../../home/sync-service.js';
import { SyncCommand } from '../sync-command.js';

export class SyncHistoryCommand extends SyncCommand {
  static override paths = [['sync', 'history']];
  static override usage = Command.Usage({
    description: 'List the events pushed and pulled, newest last',
    details: 'Paths are informational: the path the author saw when it wrote the event.',
  });

  json = Option.Boolean('--json', false, { description: 'Print as JSON' });
  limit = Option.String('--limit', { description: 'How many of the newest entries (default 100)' });

  async run(): Promise<number> {
    const params = this.limit === undefined ? {} : { limit: Number(this.limit) };
    const limit = limitOf(params);
    const entries =
      ((await this.viaMount('sync.history', params)) as HistoryView[] | undefined) ??
      (await this.withSync((home, sync) => syncHistory(home, sync.state, limit)));
    if (this.json) {
      this.printJson(entries);
      return 0;
    }
    if (entries.length === 0) this.print('nothing pushed or pulled yet');
    for (const e of entries) {
      const who = e.authorName ?? e.author.slice(0, 8);
      this.print(
        `${e.at}  ${e.direction.padEnd(4)}  ${who}  ${e.type.padEnd(16)}  ${e.namespace}:${e.path ?? ''}`,
      );
    }
    return 0;
  }
}
