import { evolveCluster, refuseCluster } from './cluster/evolve.js';
import { type ClusterState, type ClusterTrust, initialClusterState } from './cluster/state.js';
import { decodeCheckpoint, encodeCheckpoint } from './namespace/checkpoint.js';
import { evolve as evolveNamespace, refuse as refuseNamespace } from './namespace/evolve.js';
import { initialNamespaceState, type NamespaceState } from './namespace/state.js';
import type { ProjectionSpec } from './replica.js';

/** The cluster namespace's projection: genesis, members and their admission, namespaces, under a home's trust. */
export function clusterProjectionFor(trust: ClusterTrust): ProjectionSpec<ClusterState> {
  return {
    initial: () => initialClusterState(trust),
    evolve: evolveCluster,
    refuse: refuseCluster,
  };
}

/** Without a pinned creator or a self-admission key: tests, and tools that only read. */
export const clusterProjection: ProjectionSpec<ClusterState> = clusterProjectionFor({});

/** A data namespace's projection: the inode tree, attributes and content; checkpointed at unmount. */
export const namespaceProjection: ProjectionSpec<NamespaceState> = {
  initial: initialNamespaceState,
  evolve: evolveNamespace,
  refuse: refuseNamespace,
  checkpoint: {
    encode: encodeCheckpoint,
    decode: decodeCheckpoint,
    folded: (state) => new Map([...state.seen].map(([author, seen]) => [author, seen.upTo])),
  },
};
