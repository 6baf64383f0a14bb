import { Command, Option } from 'clipanion';
import { TgfsError } from '../../errors.js';
import { parseInvitation, redeemInvitation } from '../../home/membership.js';
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
  token = Option.String('--token', { description: 'The token `cluster invite` printed' });
  role = Option.String('--role', {
    description: 'master | replica | node: must be the role the token grants',
  });

  async run(): Promise<number> {
    if (this.token === undefined) {
      throw new TgfsError(
        'INVALID_ARGUMENT',
        'without --token there is nothing to present: the join `machine init` posted is pending; an admin admits it with `tgcryptfs cluster admit <machine>` (see `tgcryptfs machine show` for its id)',
      );
    }
    const token = this.token;
    if (this.role !== undefined && parseInvitation(token).role !== this.role) {
      throw new TgfsError(
        'INVALID_ARGUMENT',
        `the invitation grants the role ${parseInvitation(token).role}, not ${this.role}: ask the admin for a ${this.role} invitation`,
      );
    }
    await this.withCluster((home) => redeemInvitation(home, this.clusterId, token));
    this.print(`presented the invitation to cluster ${this.clusterId}`);
    return 0;
  }
}
