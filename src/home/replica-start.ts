import { CLUSTER_NS } from '../events/types.js';
import type { NamespaceInfo } from '../projections/cluster/state.js';
import { namespaceProjection } from '../projections/projection-specs.js';
import { Replica } from '../projections/replica.js';
import { readManifestDirectory } from '../transport/sync/manifest-directory.js';
import { readSnapshot } from '../transport/sync/snapshot.js';
import type { UnlockedHome } from './home.js';
import { openSync } from './sync-service.js';

/**
 * A replica of a master-replica namespace starts from the newest snapshot instead of replaying the log (the
 * seed's "replicas apply snapshot"): pull what the store holds, then take the snapshot's checkpoint of the
 * namespace when it covers more than this home's own. The events stay the truth: Replica.open checks the
 * checkpoint against the log and folds only what comes after it. Returns whether a checkpoint was taken.
 */
export async function startFromNewestSnapshot(
  home: UnlockedHome,
  info: NamespaceInfo,
  log?: (line: string) => void,
): Promise<boolean> {
  const sync = await openSync(home, log === undefined ? {} : { log });
  try {
    await sync.engine.pull();
  } catch (err) {
    // Offline: the mount starts from what the home already holds.
    log?.(`could not pull before mounting (starting from the local log): ${(err as Error).message}`);
    return false;
  } finally {
    await sync.close();
  }
  const clusterKey = home.keysFor(CLUSTER_NS).eventKey;
  const directory = await readManifestDirectory(home.store, clusterKey);
  if (directory === undefined) return false;
  const found = await readSnapshot(home.store, clusterKey, directory.snapshot);
  const record = found?.snapshot.checkpoints?.[info.id];
  if (found === undefined || record === undefined) return false;
  const eventKey = home.keysFor(info.id).eventKey;
  const taken = await Replica.installCheckpointIfFurther(
    home.log,
    info.id,
    eventKey,
    namespaceProjection,
    record,
  );
  if (taken)
    log?.(`starting ${info.name} from the snapshot of ${new Date(found.snapshot.takenAtMs).toISOString()}`);
  return taken;
}
