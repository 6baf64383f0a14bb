import { evolveCluster, refuseCluster } from './cluster/evolve.js';
import { type ClusterState, initialClusterState } from './cluster/state.js';
import { decodeCheckpoint, encodeCheckpoint } from './namespace/checkpoint.js';
import { evolve as evolveNamespace, refuse as refuseNamespace } from './namespace/evolve.js';
import { initialNamespaceState, type NamespaceState } from './namespace/state.js';
import type { ProjectionSpec } from './replica.js';

/** The cluster namespace's projection: namespaces and member machines. */
export const clusterProjection: ProjectionSpec<ClusterState> = {
  initial: initialClusterState,
  evolve: evolveCluster,
  refuse: refuseCluster,
};

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
