import { TgfsError } from '../errors.js';
import { mountFileSystem } from '../fs/fuse-adapter.js';
import type { UnlockedHome } from './home.js';
import { forgetMount, recordMount } from './mount-registry.js';
import { type NamespaceSession, openNamespaceSession, resolveNamespace } from './namespace-session.js';
import { startFromNewestSnapshot } from './replica-start.js';
import { type SyncService, startSyncService } from './sync-service.js';

export interface MountRequest {
  /** Namespace name or id; default `default`. */
  readonly namespace?: string;
  readonly mountpoint: string;
  readonly readOnly?: boolean;
  readonly debug?: boolean;
  /** Lets other users (and root services) in; the kernel still checks mode, uid and gid. */
  readonly allowOther?: boolean;
  readonly log: (line: string) => void;
}

/** A namespace mounted by this process, with its background sync and control socket. */
export interface MountSession {
  readonly mountpoint: string;
  readonly namespace: string;
  /** Commits buffered writes, unmounts (retrying while busy), stops sync and closes the session. */
  stop(): Promise<void>;
}

/**
 * The mount use case: the namespace session, the kernel mount, background push/pull and the control socket
 * (`sync now|status|history` while mounted), and the record `unmount` finds. The store is never on the path of
 * a FUSE call. The caller keeps the home open until `stop` resolves.
 */
export async function startMountSession(home: UnlockedHome, request: MountRequest): Promise<MountSession> {
  const { mountpoint, log } = request;
  let session: NamespaceSession | undefined;
  let sync: SyncService | undefined;
  const closeAll = async () => {
    await sync?.close();
    await session?.close();
  };
  try {
    const info = await resolveNamespace(home, request.namespace);
    const isReplica = info.mode === 'master-replica' && info.master !== home.machine.id;
    const fromSnapshot = isReplica && (await startFromNewestSnapshot(home, info, log));
    session = await openNamespaceSession(home, info, { readOnly: request.readOnly === true, log });
    if (isReplica) {
      const folded = session.replica.replayedOnOpen;
      log(
        `${info.name}: a replica, ${folded} events folded from the log${fromSnapshot ? ' after the snapshot' : ''}`,
      );
    }
    const opened = session;
    const mounted = await mountFileSystem(opened.fs, mountpoint, {
      readOnly: opened.readOnly,
      debug: request.debug === true,
      allowOther: request.allowOther === true || home.config.mount.allow_other,
      log,
    });
    // A master-replica namespace syncs at the seed's `master_replica.sync_interval_secs`; its master snapshots
    // as often, so replicas start from a recent state.
    const mr = home.config.master_replica;
    sync = await startSyncService(home, opened, {
      log,
      ...(info.mode === 'master-replica'
        ? {
            intervalMs: mr.sync_interval_secs * 1000,
            ...(isReplica ? {} : { snapshotIntervalMs: mr.sync_interval_secs * 1000 }),
            snapshotRetention: mr.snapshot_retention,
          }
        : {}),
    });
    await recordMount(home.paths, { pid: process.pid, mountpoint, namespace: info.name });
    return {
      mountpoint,
      namespace: info.name,
      async stop() {
        try {
          log(`unmounting ${mountpoint}`);
          await opened.fs.flushAll();
          await unmountWithRetries(mounted.unmount, log);
          await forgetMount(home.paths, mountpoint);
        } finally {
          await closeAll();
        }
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** A busy mount (a shell sitting in it) refuses to unmount for a while; retry, then give up with a clear error. */
async function unmountWithRetries(unmount: () => Promise<void>, log: (line: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await unmount();
      return;
    } catch (err) {
      if (attempt >= 10) throw err instanceof TgfsError ? err : new TgfsError('MOUNT_FAILED', String(err));
      log(`unmount failed (${(err as Error).message}), retrying`);
      await new Promise((r) => setTimeout(r, 300 * attempt));
    }
  }
}
