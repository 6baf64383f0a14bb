import { Command, Option } from 'clipanion';
import { removeMachine } from '../../home/membership.js';
import { ClusterCommand } from './cluster-command.js';

export class ClusterRemoveCommand extends ClusterCommand {
  static override paths = [['cluster', 'remove']];
  static override usage = Command.Usage({
    description: 'Remove a machine: its later events are refused by every machine (admins only)',
    details: `
      Every event of the machine this home holds when it is removed keeps counting; anything it signs later is
      refused everywhere. A removed machine keeps what it could already read: see docs/security.md.
    `,
  });

  machine = Option.String({ required: true, name: 'machine' });

  async run(): Promise<number> {
    const cutoff = await this.withCluster((home) => removeMachine(home, this.machine));
    const kept = Object.values(cutoff).reduce((n, s) => n + s, 0);
    this.print(
      `removed ${this.machine}; its ${kept} events seen so far keep counting, later ones are refused`,
    );
    return 0;
  }
}
