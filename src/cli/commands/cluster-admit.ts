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
    const m = await this.viaMountOr('cluster.admit', { machine: this.machine }, async (home) => {
      const admitted = await admitMachine(home, this.machine);
      return { machine: admitted.machine, name: admitted.name, fingerprint: fingerprint(admitted.publicKey) };
    });
    this.print(`admitted ${m.name} (${m.machine}), key ${m.fingerprint}`);
    return 0;
  }
}
