import { namespacesByName } from '../projections/cluster/queries.js';
import type { SyncState } from '../transport/sync/sync-state.js';
import type { UnlockedHome } from './home.js';
import { memberReports } from './membership.js';
import { syncStatus } from './sync-service.js';

/** What `cluster status` shows, from the home itself or from the running mount that holds it. */
export async function clusterStatusView(home: UnlockedHome, state: SyncState) {
  const cluster = home.cluster.state;
  const members = await memberReports(home);
  const status = await syncStatus(home, state);
  return {
    cluster: cluster.genesis?.cluster ?? null,
    creator: cluster.genesis?.creator ?? null,
    machine: members.find((m) => m.self) ?? null,
    members: {
      admitted: members.filter((m) => m.status === 'admitted').length,
      pending: members.filter((m) => m.status === 'pending').length,
      removed: members.filter((m) => m.status === 'removed').length,
    },
    namespaces: namespacesByName(cluster).map((n) => ({ name: n.name, mode: n.mode, master: n.master })),
    lastPush: status.lastPush,
    lastPull: status.lastPull,
    held: status.rejected.filter((r) => r.held).length,
    rejected: status.rejected.filter((r) => !r.held).length,
    refused: status.refused.length,
    lastRefusals: status.refused
      .slice(-5)
      .map((r) => `${r.namespace}: ${r.type} ${r.author}#${r.seq}: ${r.reason}`),
    lastRejections: status.rejected.slice(-5).map((r) => r.reason),
  };
}

export type ClusterStatusView = Awaited<ReturnType<typeof clusterStatusView>>;
