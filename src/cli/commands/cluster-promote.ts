import { Command, Option } from 'clipanion';
import { promoteMaster } from '../../home/membership.js';
import { ClusterCommand } from './cluster-command.js';

export class ClusterPromoteCommand extends ClusterCommand {
  static override paths = [['cluster', 'promote']];
  static override usage = Command.Usage({
    description: 'Make a machine the master of a master-replica namespace (admins only)',
    details: 'The old master becomes a read-only replica; a lost master is not the end of the namespace.',
  });

  machine = Option.String({ required: true, name: 'machine' });
  namespace = Option.String('--namespace', { required: true, description: 'The master-replica namespace' });

  async run(): Promise<number> {
    const request = { machine: this.machine, namespace: this.namespace };
    await this.viaMountOr('cluster.promote', request, async (home) => {
      await promoteMaster(home, this.machine, this.namespace);
      return {};
    });
    this.print(`${this.machine} is now the master of ${this.namespace}`);
    return 0;
  }
}
