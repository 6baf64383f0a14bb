import { Command, Option } from 'clipanion';
import { rotateKeyEpoch } from '../../home/key-rotation.js';
import { removeMachine } from '../../home/membership.js';
import { readPassword } from '../password.js';
import { ClusterCommand } from './cluster-command.js';

export class ClusterRemoveCommand extends ClusterCommand {
  static override paths = [['cluster', 'remove']];
  static override usage = Command.Usage({
    description: 'Remove a machine: its later events are refused by every machine (admins only)',
    details: `
      Every event of the machine this home holds when it is removed keeps counting; anything it signs later is
      refused everywhere. With \`--new-password-file\` the cluster's password changes too (a new key epoch):
      everything written afterwards is sealed under keys the removed machine cannot derive, and the other
      machines move to it when they next unlock with the new password. Without it the removed machine can still
      read everything in the store, later writes included. See docs/security.md.
    `,
    examples: [
      ['Remove a lost laptop and change the password', 'cluster remove laptop --new-password-file new.txt'],
    ],
  });

  machine = Option.String({ required: true, name: 'machine' });
  newPasswordFile = Option.String('--new-password-file', {
    description: 'Change the cluster password to the one in this file (a new key epoch)',
  });

  async run(): Promise<number> {
    const newPassword =
      this.newPasswordFile === undefined
        ? undefined
        : await readPassword({ passwordFile: this.newPasswordFile });
    const { cutoff, rotated } = await this.withCluster(async (home) => {
      const cutoff = await removeMachine(home, this.machine);
      const rotated = newPassword === undefined ? undefined : await rotateKeyEpoch(home, newPassword);
      return { cutoff, rotated };
    });
    const kept = Object.values(cutoff).reduce((n, s) => n + s, 0);
    this.print(
      `removed ${this.machine}; its ${kept} events seen so far keep counting, later ones are refused`,
    );
    if (rotated === undefined) {
      this.context.stderr.write(
        `tgcryptfs: the password was not changed: ${this.machine} can still read everything in the store, later writes included; run \`tgcryptfs cluster rotate-key --new-password-file FILE\` to stop that\n`,
      );
    } else {
      this.print(
        `the cluster's password changed (key epoch ${rotated.epoch}): unlock every other machine with the new password; ${this.machine} cannot read what is written from now on`,
      );
    }
    return 0;
  }
}
