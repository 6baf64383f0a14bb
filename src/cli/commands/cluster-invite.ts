import { Command, Option } from 'clipanion';
import { TgfsError } from '../../errors.js';
import type { MachineRole } from '../../events/types.js';
import { createInvitation, MACHINE_ROLES } from '../../home/membership.js';
import { parseDuration } from '../duration.js';
import { ClusterCommand } from './cluster-command.js';

export class ClusterInviteCommand extends ClusterCommand {
  static override paths = [['cluster', 'invite']];
  static override usage = Command.Usage({
    description: 'Print a one-time invitation token for a new machine (admins only)',
    details: `
      The token is signed by this machine and names the role, whether the new machine is an admin too, and when
      the token expires. Hand it over out of band (it admits whoever holds it, once); the new machine runs
      \`tgcryptfs machine init --token T\` or, already initialised, \`tgcryptfs cluster join <cluster-id> --token T\`.
    `,
    examples: [
      ['A replica invitation valid for a day', 'tgcryptfs cluster invite --role replica --expires 24h'],
    ],
  });

  role = Option.String('--role', 'node', { description: 'master | replica | node' });
  admin = Option.Boolean('--admin', false, {
    description: 'The new machine may admit and remove machines too',
  });
  expires = Option.String('--expires', '24h', {
    description: 'How long the token stays valid (30m, 24h, 7d)',
  });
  json = Option.Boolean('--json', false);

  async run(): Promise<number> {
    if (!MACHINE_ROLES.includes(this.role as MachineRole)) {
      throw new TgfsError(
        'INVALID_ARGUMENT',
        `unknown role ${this.role}: expected ${MACHINE_ROLES.join(', ')}`,
      );
    }
    const expiresInMs = parseDuration('--expires', this.expires);
    const request = { role: this.role as MachineRole, admin: this.admin, expiresInMs };
    const invitation = await this.viaMountOr(
      'cluster.invite',
      request,
      async (home) => createInvitation(home, request),
      { post: false },
    );
    if (this.json) this.printJson(invitation);
    else {
      this.print(invitation.token);
      this.context.stderr.write(`tgcryptfs: one-time invitation, valid until ${invitation.expiresAt}\n`);
    }
    return 0;
  }
}
