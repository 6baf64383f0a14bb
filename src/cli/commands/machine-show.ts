import { Command, Option } from 'clipanion';
import { readConfig } from '../../config/config.js';
import { identityReport, readIdentity, storeSpecOf } from '../../home/home.js';
import { TgfsCommand } from '../tgfs-command.js';

export class MachineShowCommand extends TgfsCommand {
  static override paths = [['machine', 'show']];
  static override usage = Command.Usage({
    description: "Show this machine's identity (no password needed: nothing secret is shown)",
  });

  json = Option.Boolean('--json', false, { description: 'Print as JSON' });

  async run(): Promise<number> {
    const paths = this.home();
    const config = await readConfig(paths.config);
    const info = identityReport(await readIdentity(paths), paths, storeSpecOf(config));
    if (this.json) this.printJson(info);
    else {
      this.print(`machine    ${info.name} (${info.id})`);
      this.print(`public key ${info.publicKey}`);
      this.print(`created    ${info.createdAt}`);
      this.print(`home       ${info.home}`);
      this.print(`store      ${info.store}`);
    }
    return 0;
  }
}
