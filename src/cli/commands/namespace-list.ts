import { Command, Option } from 'clipanion';
import { namespacesByName } from '../../projections/cluster/queries.js';
import { TgfsCommand } from '../tgfs-command.js';

export class NamespaceListCommand extends TgfsCommand {
  static override paths = [['namespace', 'list']];
  static override usage = Command.Usage({ description: 'List the namespaces of this cluster' });

  json = Option.Boolean('--json', false);

  async run(): Promise<number> {
    const home = await this.unlock();
    try {
      const list = namespacesByName(home.cluster.state).map((n) => ({
        id: n.id,
        name: n.name,
        mode: n.mode,
        conflict: n.conflict,
        master: n.master,
        createdAt: new Date(n.createdAtMs).toISOString(),
      }));
      if (this.json) this.printJson(list);
      else if (list.length === 0)
        this.print('no namespaces yet: create one with `tgcryptfs namespace create NAME`');
      else {
        const width = Math.max(4, ...list.map((n) => n.name.length));
        this.print(`${'NAME'.padEnd(width)}  ${'MODE'.padEnd(14)}  ID`);
        for (const n of list) this.print(`${n.name.padEnd(width)}  ${n.mode.padEnd(14)}  ${n.id}`);
      }
      return 0;
    } finally {
      await home.close();
    }
  }
}
