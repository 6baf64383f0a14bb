import { Command, Option } from 'clipanion';
import { listNamespaces, type NamespaceReport } from '../../home/namespaces.js';
import { TgfsCommand } from '../tgfs-command.js';

export class NamespaceListCommand extends TgfsCommand {
  static override paths = [['namespace', 'list']];
  static override usage = Command.Usage({
    description: 'List the namespaces of this cluster',
    details: 'While a mount of this home runs, the mount answers (over its control socket).',
  });

  json = Option.Boolean('--json', false);

  async run(): Promise<number> {
    const list =
      ((await this.viaMount('namespace.list')) as NamespaceReport[] | undefined) ??
      (await this.withHome(async (home) => listNamespaces(home)));
    if (this.json) this.printJson(list);
    else if (list.length === 0)
      this.print('no namespaces yet: create one with `tgcryptfs namespace create NAME`');
    else {
      const width = Math.max(4, ...list.map((n) => n.name.length));
      this.print(`${'NAME'.padEnd(width)}  ${'MODE'.padEnd(14)}  ID`);
      for (const n of list) this.print(`${n.name.padEnd(width)}  ${n.mode.padEnd(14)}  ${n.id}`);
    }
    return 0;
  }
}
