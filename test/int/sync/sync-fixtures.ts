/** Two real homes (LevelDB, keys, identities) sharing one local store folder: one cluster of two machines. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homePaths } from '../../../src/config/home-paths.js';
import { newNamespaceId } from '../../../src/crypto/ids.js';
import type { InodeId, NamespaceId } from '../../../src/events/types.js';
import { ROOT_INODE } from '../../../src/events/types.js';
import { initHome, type UnlockedHome } from '../../../src/home/home.js';
import { createInvitation } from '../../../src/home/membership.js';
import type { NamespaceState } from '../../../src/projections/namespace/state.js';
import { namespaceProjection } from '../../../src/projections/projection-specs.js';
import { type Command, Replica } from '../../../src/projections/replica.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { ChunkStore } from '../../../src/transport/content/chunk-store.js';
import type { MessageStore } from '../../../src/transport/store/message-store.js';

export const PASSWORD = 'correct horse';
const FAST_KDF = { memoryMiB: 8, iterations: 1 };

export interface TwoHomes {
  readonly root: string;
  readonly storeDir: string;
  readonly a: UnlockedHome;
  readonly b: UnlockedHome;
  /** A distributed namespace created by `a` (its NamespaceCreated is pending in a's log); b joined by invitation. */
  readonly ns: NamespaceId;
  close(): Promise<void>;
}

export async function twoHomes(): Promise<TwoHomes> {
  const root = await mkdtemp(join(tmpdir(), 'tgfs-sync-'));
  const storeDir = join(root, 'store');
  const store = { kind: 'local' as const, dir: storeDir };
  const a = await initHome(homePaths(join(root, 'a')), {
    name: 'a',
    store,
    password: PASSWORD,
    kdf: FAST_KDF,
  });
  // b joins with a's invitation, so its events count as soon as a has seen its join.
  const { token } = createInvitation(a, { role: 'node', admin: false, expiresInMs: 3_600_000 });
  const b = await initHome(homePaths(join(root, 'b')), {
    name: 'b',
    store,
    password: PASSWORD,
    kdf: FAST_KDF,
    join: { invitation: token },
  });
  const { id: ns, nonce } = newNamespaceId(a.machine.id);
  await a.cluster.commit([
    {
      type: 'NamespaceCreated',
      body: {
        namespace: ns,
        name: 'docs',
        mode: 'distributed',
        conflict: 'last-write-wins',
        master: a.machine.id,
        createdAtMs: 1,
        nonce,
      },
    },
  ]);
  return {
    root,
    storeDir,
    a,
    b,
    ns,
    async close() {
      await a.close();
      await b.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export function openNs(home: UnlockedHome, ns: NamespaceId): Promise<Replica<NamespaceState>> {
  return Replica.open(home.log, ns, home.keysFor(ns).eventKey, home.machine, namespaceProjection);
}

export function newInode(): InodeId {
  return randomBytes(16).toString('hex');
}

export function mkdir(name: string, inode: InodeId = newInode(), parent: InodeId = ROOT_INODE): Command {
  return {
    type: 'Create',
    body: { inode, parent, name, kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeMs: 1000, path: `/${name}` },
  };
}

export function smallFile(name: string, text: string, parent: InodeId = ROOT_INODE): Command[] {
  const inode = newInode();
  return [
    {
      type: 'Create',
      body: {
        inode,
        parent,
        name,
        kind: 'file',
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtimeMs: 1000,
        path: `/${name}`,
      },
    },
    {
      type: 'Write',
      body: {
        inode,
        sizeBytes: text.length,
        inline: new TextEncoder().encode(text),
        mtimeMs: 1000,
        path: `/${name}`,
      },
    },
  ];
}

/** Event ids of a namespace in a home's log, in canonical order. */
export async function logIds(home: UnlockedHome, ns: NamespaceId): Promise<string[]> {
  const ids: string[] = [];
  for await (const { id } of home.log.replay(ns)) ids.push(id);
  return ids;
}

/** The state hash of the namespace as a fresh replay of the home's log computes it. */
export async function replayedHash(home: UnlockedHome, ns: NamespaceId): Promise<string> {
  return namespaceStateHash((await openNs(home, ns)).state);
}

/** The namespace's content store as a home lays it out (what openSync and a mount open). */
export function openChunks(home: UnlockedHome, ns: NamespaceId, store: MessageStore): Promise<ChunkStore> {
  const keys = home.keysFor(ns);
  return ChunkStore.open({
    dir: join(home.paths.cache, ns),
    ns,
    dataKey: keys.dataKey,
    chunkIdKey: keys.chunkIdKey,
    store,
    index: home.log.db.sublevel<string, string>(`chunks-${ns}`, { valueEncoding: 'utf8' }),
    maxCacheBytes: 64 * 1024 * 1024,
  });
}
