import { Command, Option } from 'clipanion';
import { rotateKeyEpoch } from '../../home/key-rotation.js';
import { readPassword } from '../password.js';
import { ClusterCommand } from './cluster-command.js';

export class ClusterRotateKeyCommand extends ClusterCommand {
  static override paths = [['cluster', 'rotate-key']];
  static override usage = Command.Usage({
    description: "Change the cluster's password: a new key epoch (admins only)",
    details: `
      Everything this machine writes from now on is sealed under keys derived from the new password; history
      stays readable through a keyring of the earlier epochs' keys, sealed under the new one. The other machines
      move to the new epoch when they next unlock with the new password; until then they hold what is sealed under
      it without reading it. Whoever knows only an old password reads nothing written under the new one.
    `,
  });

  newPasswordFile = Option.String('--new-password-file', {
    required: true,
    description: 'The new password, in this file',
  });

  async run(): Promise<number> {
    const newPassword = await readPassword({ passwordFile: this.newPasswordFile });
    const r = await this.withCluster((home) => rotateKeyEpoch(home, newPassword));
    this.print(
      `the cluster's password changed (key epoch ${r.epoch}): unlock every other machine with the new password`,
    );
    return 0;
  }
}
