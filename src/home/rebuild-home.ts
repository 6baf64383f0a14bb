import { readdir } from 'node:fs/promises';
import type { HomePaths } from '../config/home-paths.js';
import { TgfsError } from '../errors.js';
import { CLUSTER_NS } from '../events/types.js';
import { Replica } from '../projections/replica.js';
import { listPages } from '../transport/store/list-pages.js';
import type { MessageStore, StoredMessage } from '../transport/store/message-store.js';
import type { StoreSpec } from '../transport/store/store-spec.js';
import { findKeyEpochs, findManifest } from '../transport/sync/cluster-manifest.js';
import { readManifestDirectory } from '../transport/sync/manifest-directory.js';
import { missingSince, newestSnapshot, readSnapshot } from '../transport/sync/snapshot.js';
import type { PullReport, SyncProgress } from '../transport/sync/sync-engine.js';
import { exists, initHome, keyringFromStore } from './home.js';
import { replaceMachine } from './membership.js';
import { openStoreStack } from './store-stack.js';
import { openSync } from './sync-service.js';

export interface RebuildReport {
  readonly machine: { readonly id: string; readonly name: string };
  /** The lost machine this one took over (its roles and standalone namespaces), if any. */
  readonly replaced: { readonly id: string; readonly name: string } | null;
  readonly namespaces: readonly string[];
  readonly pull: PullReport;
  /** The newest snapshot found, and the chains it lists that the store no longer fully holds. */
  readonly snapshot: { readonly takenAt: string; readonly missing: readonly string[] } | null;
}

/**
 * Rebuilds a home from the store and the password alone: the manifest gives the KDF salt and parameters and
 * the key check (a wrong password stops here, before anything is written), then a new identity for this
 * machine joins the cluster, every op message is pulled and verified into a fresh log, and each namespace's
 * chunk index is rebuilt from its packs. The newest `meta` snapshot, when there is one, sizes the progress
 * and tells whether the store still holds every event it listed.
 */
export async function rebuildHome(
  paths: HomePaths,
  opts: {
    store: StoreSpec;
    password: string;
    name: string;
    /** The lost machine to take over; by default the only other admitted machine, if any; false: none. */
    replace?: string | false;
    onProgress?: (p: SyncProgress) => void;
    log?: (line: string) => void;
  },
): Promise<RebuildReport> {
  await assertEmptyHome(paths);
  // One connection for the whole rebuild: the new home adopts it.
  const stack = openStoreStack(opts.store, { homeRoot: paths.root });
  const probe = stack.store;
  try {
    const manifest = await findManifest(probe);
    if (manifest === undefined) {
      throw new TgfsError(
        'NOT_FOUND',
        'the store holds no tgcryptfs cluster (no manifest message): nothing to rebuild',
      );
    }
    // The newest key epoch this password opens; its keyring opens the epochs before it.
    const unlocked = await keyringFromStore(probe, opts.password);
    if (unlocked === undefined) {
      throw new TgfsError(
        'WRONG_PASSWORD',
        'wrong password: it does not match the key check of the store’s cluster',
      );
    }
    const newest = (await findKeyEpochs(probe)).at(-1)?.epoch ?? 0;
    if (newest > unlocked.manifest.epoch) {
      opts.log?.(
        `this password is that of key epoch ${unlocked.manifest.epoch}, the store has epoch ${newest}: if the cluster's password changed, what came after is unreadable and machines that know the new one will not admit this one`,
      );
    }
    // The manifest's directory points at the newest snapshot; without one (an older store), look for it.
    const clusterKey = unlocked.keyring.namespaceKeys(CLUSTER_NS).eventKey;
    const directory = await readManifestDirectory(probe, clusterKey);
    const found =
      (directory === undefined ? undefined : await readSnapshot(probe, clusterKey, directory.snapshot)) ??
      (await newestSnapshot(probe, clusterKey, await listAll(probe)));
    const home = await initHome(paths, {
      name: opts.name,
      store: opts.store,
      password: opts.password,
      kdf: unlocked.manifest.kdf,
      stack,
      // The password is the recovery path: the rebuilt machine admits itself, recorded as such.
      join: { selfAdmit: true },
    });
    try {
      const sync = await openSync(home, {
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.log ? { log: opts.log } : {}),
      });
      try {
        const pull = await sync.engine.pull();
        // The snapshot's checkpoints: the first mount folds only the events after them. Each is checked
        // against the pulled log when it is opened, and ignored if the log lacks an event it covers.
        for (const [ns, record] of Object.entries(found?.snapshot.checkpoints ?? {})) {
          if (home.cluster.state.namespaces.has(ns)) {
            await Replica.installCheckpoint(home.log, ns, home.keysFor(ns).eventKey, record);
          }
        }
        const replaced = opts.replace === false ? undefined : await replaceMachine(home, opts.replace);
        // Announce this machine (its MachineJoined, and the takeover) to the others.
        await sync.engine.push();
        const missing = found === undefined ? [] : await missingSince(home.log, found.snapshot);
        return {
          machine: { id: home.machine.id, name: home.machine.name },
          replaced: replaced === undefined ? null : { id: replaced.machine, name: replaced.name },
          namespaces: [...home.cluster.state.namespaces.values()].map((n) => n.name).sort(),
          pull,
          snapshot:
            found === undefined
              ? null
              : { takenAt: new Date(found.snapshot.takenAtMs).toISOString(), missing },
        };
      } finally {
        await sync.close();
      }
    } finally {
      await home.close();
    }
  } finally {
    await stack.close();
  }
}

async function assertEmptyHome(paths: HomePaths): Promise<void> {
  for (const p of [paths.config, paths.db]) {
    if (await exists(p)) {
      throw new TgfsError(
        'HOME_ALREADY_INITIALISED',
        `${paths.root} already holds a home; rebuild needs an empty TGCRYPTFS_HOME (if a rebuild was interrupted, \`tgcryptfs sync now\` continues it)`,
      );
    }
  }
  // A home directory holding only a store folder (local:$HOME/store) or the Telegram session that
  // `telegram login` saved for this rebuild is fine; anything else would be mixed in.
  try {
    const entries = (await readdir(paths.root)).filter((e) => e !== 'store' && e !== 'telegram.session');
    if (entries.length > 0) {
      throw new TgfsError(
        'HOME_ALREADY_INITIALISED',
        `${paths.root} is not empty (${entries.slice(0, 3).join(', ')})`,
      );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function listAll(store: MessageStore): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for await (const page of listPages(store)) out.push(...page);
  return out;
}
