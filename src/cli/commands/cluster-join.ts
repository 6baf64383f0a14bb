import { Command, Option } from 'clipanion';
import { redeemInvitation } from '../../home/membership.js';
import { ClusterCommand } from './cluster-command.js';

export class ClusterJoinCommand extends ClusterCommand {
  static override paths = [['cluster', 'join']];
  static override usage = Command.Usage({
    description: 'Present an invitation: a machine whose join is pending is admitted',
    details: `
      For a machine already initialised on the cluster's store (\`machine init\` without \`--token\` leaves it
      pending). The token names the cluster; a token of another cluster, reused, expired or issued by a
      non-admin is refused by every machine, and the join stays pending.
    `,
  });

  clusterId = Option.String({ required: true, name: 'cluster-id' });
  token = Option.String('--token', { required: true, description: 'The token `cluster invite` printed' });

  async run(): Promise<number> {
    await this.withCluster((home) => redeemInvitation(home, this.clusterId, this.token));
    this.print(`presented the invitation to cluster ${this.clusterId}`);
    return 0;
  }
}
