import { Command, Option } from 'clipanion';
import { type ClusterStatusView, clusterStatusView } from '../../home/cluster-views.js';
import { ClusterCommand } from './cluster-command.js';

export class ClusterStatusCommand extends ClusterCommand {
  static override paths = [['cluster', 'status']];
  static override usage = Command.Usage({
    description:
      "The cluster, its namespaces' modes, its members, this machine's standing, sync and refusals",
  });

  json = Option.Boolean('--json', false);

  async run(): Promise<number> {
    const view =
      ((await this.viaMount('cluster.status')) as ClusterStatusView | undefined) ??
      (await this.withSync(async (home, sync) => {
        await sync.engine.pull();
        return clusterStatusView(home, sync.state);
      }));
    if (this.json) {
      this.printJson(view);
      return 0;
    }
    this.print(
      `cluster     ${view.cluster ?? '(made before admission: everyone counts)'}${view.creator ? `, created by ${view.creator}` : ''}`,
    );
    const me = view.machine;
    if (me !== null) {
      this.print(`this machine ${me.name} (${me.id}), ${me.role}, ${me.status}${me.admin ? ', admin' : ''}`);
    }
    this.print(
      `members     ${view.members.admitted} admitted, ${view.members.pending} pending, ${view.members.removed} removed`,
    );
    for (const n of view.namespaces) {
      this.print(
        `namespace   ${n.name}: ${n.mode}${n.mode === 'distributed' ? '' : `, ${n.mode === 'standalone' ? 'owner' : 'master'} ${n.master}`}`,
      );
    }
    this.print(`last sync   push ${view.lastPush ?? 'never'}, pull ${view.lastPull ?? 'never'}`);
    this.print(`messages    ${view.held} held, ${view.rejected} rejected`);
    for (const r of view.lastRejections) this.print(`  ${r}`);
    this.print(`refused     ${view.refused} events`);
    for (const r of view.lastRefusals) this.print(`  ${r}`);
    return 0;
  }
}
