import { Command, Option } from 'clipanion';
import { createCluster } from '../../home/membership.js';
import { ClusterCommand } from './cluster-command.js';

export class ClusterCreateCommand extends ClusterCommand {
  static override paths = [['cluster', 'create']];
  static override usage = Command.Usage({
    description: 'Give a cluster made before admission existed its genesis, with this machine as first admin',
    details: `
      A new store gets its cluster from its first \`machine init\` (\`--cluster\` names it). On a store whose
      cluster predates admission, this records the genesis: this machine becomes the creator and first admin,
      and every machine that had joined is adopted as admitted. Refused when the store already has a cluster.
    `,
  });

  clusterId = Option.String({ required: true, name: 'cluster-id' });

  async run(): Promise<number> {
    await this.withCluster((home) => createCluster(home, this.clusterId));
    this.print(`created cluster ${this.clusterId}; this machine is its first admin`);
    return 0;
  }
}
