import { Command, Option } from 'clipanion';
import { createNamespace, type NamespaceReport } from '../../home/namespaces.js';
import { TgfsCommand } from '../tgfs-command.js';

export class NamespaceCreateCommand extends TgfsCommand {
  static override paths = [['namespace', 'create']];
  static override usage = Command.Usage({
    description: 'Create an isolated namespace (its own keys, tree and history)',
    details: 'While a mount of this home runs, the mount creates it (asked over its control socket).',
    examples: [['A standalone namespace', 'tgcryptfs namespace create photos --type standalone']],
  });

  name = Option.String({ required: true });
  type = Option.String('--type', 'standalone', { description: 'standalone | master-replica | distributed' });
  conflict = Option.String('--conflict', 'last-write-wins', {
    description: 'last-write-wins | manual | merge',
  });
  json = Option.Boolean('--json', false);

  async run(): Promise<number> {
    const request = { name: this.name, mode: this.type, conflict: this.conflict };
    const created =
      ((await this.viaMount('namespace.create', request)) as NamespaceReport | undefined) ??
      (await this.withHome((home) => createNamespace(home, request)));
    if (this.json) this.printJson(created);
    else this.print(`created namespace ${created.name} (${created.id}), ${created.mode}`);
    return 0;
  }
}
