import { Command, Option } from 'clipanion';
import { type MemberReport, memberReports } from '../../home/membership.js';
import { ClusterCommand } from './cluster-command.js';

export class ClusterMembersCommand extends ClusterCommand {
  static override paths = [
    ['cluster', 'members'],
    ['machine', 'list'],
  ];
  static override usage = Command.Usage({
    description:
      'List the machines of the cluster: id, name, role, standing, key fingerprint, first and last seen',
    details: '`--pending` lists only joins waiting for `cluster admit`.',
  });

  pending = Option.Boolean('--pending', false, { description: 'Only joins waiting for an admin' });
  json = Option.Boolean('--json', false);

  async run(): Promise<number> {
    const all = await this.viaMountOr('cluster.members', {}, (home) => memberReports(home), { post: false });
    const rows = this.pending ? all.filter((m) => m.status === 'pending') : all;
    if (this.json) {
      this.printJson(rows);
      return 0;
    }
    for (const m of rows) this.print(line(m));
    if (rows.length === 0) this.print(this.pending ? 'no pending joins' : 'no machines');
    return 0;
  }
}

function line(m: MemberReport): string {
  const standing = [m.status, m.admin ? 'admin' : undefined, m.self ? 'this machine' : undefined]
    .filter((x) => x !== undefined)
    .join(', ');
  return `${m.id}  ${m.name}  ${m.role}  ${standing}  key ${m.fingerprint}  first seen ${m.firstSeen}  last seen ${m.lastSeen ?? 'never'}`;
}
