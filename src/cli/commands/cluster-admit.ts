import { Command, Option } from 'clipanion';
import { admitMachine, fingerprint } from '../../home/membership.js';
import { ClusterCommand } from './cluster-command.js';

export class ClusterAdmitCommand extends ClusterCommand {
  static override paths = [['cluster', 'admit']];
  static override usage = Command.Usage({
    description: 'Admit a machine whose join is pending (admins only)',
    details: `
      Compare the key fingerprint \`cluster members --pending\` shows with the one \`machine show\` prints on the
      new machine before admitting it. Its events, held until now, count from then on, on every machine.
    `,
  });

  machine = Option.String({ required: true, name: 'machine' });

  async run(): Promise<number> {
    const m = await this.withCluster((home) => admitMachine(home, this.machine));
    this.print(`admitted ${m.name} (${m.machine}), key ${fingerprint(m.publicKey)}`);
    return 0;
  }
}
