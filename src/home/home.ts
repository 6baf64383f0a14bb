import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decode, encode } from 'cbor-x';
import { type Config, readConfig, writeConfig } from '../config/config.js';
import type { HomePaths } from '../config/home-paths.js';
import { MACHINE_KEY_AAD, SELF_ADMISSION_LABEL } from '../crypto/contexts.js';
import { machineIdOf } from '../crypto/ids.js';
import { deriveMasterKey, type KdfParams, newSalt } from '../crypto/kdf.js';
import { keyCheckValue, matchesKeyCheck } from '../crypto/key-check.js';
import { Keyring, type NamespaceEpochKeys } from '../crypto/keyring.js';
import { deriveSubkey, homeKey } from '../crypto/subkeys.js';
import { open, seal } from '../crypto/xchacha.js';
import { SpaceReserve } from '../disk/space-reserve.js';
import { TgfsError } from '../errors.js';
import { OpLog } from '../events/op-log.js';
import { generateMachineKeyPair } from '../events/signing.js';
import { CLUSTER_NS, type MachineId, type NamespaceId } from '../events/types.js';
import { selfAdmissionProof } from '../projections/cluster/admission.js';
import type { ClusterState, ClusterTrust } from '../projections/cluster/state.js';
import { clusterProjectionFor } from '../projections/projection-specs.js';
import { Replica } from '../projections/replica.js';
import { type ChunkIndexDb, ChunkStore } from '../transport/content/chunk-store.js';
import type { ChunkWorkerPool } from '../transport/content/chunk-worker-pool.js';
import type { MessageStore } from '../transport/store/message-store.js';
import type { OpenStoreOptions } from '../transport/store/open-store.js';
import { formatStoreSpec, type StoreSpec } from '../transport/store/store-spec.js';
import {
  findKeyEpochs,
  findManifest,
  type KeyEpochManifest,
  writeManifest,
} from '../transport/sync/cluster-manifest.js';
import { type InvitationToken, invitationProofFor, parseInvitation } from './membership.js';
import { type FloodWaitListener, openStoreStack, type StoreStack } from './store-stack.js';

/** This machine, as its home knows it. */
export interface MachineIdentity {
  readonly id: MachineId;
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly createdAtMs: number;
}

/** A home opened with the right password: the keys, the log, the cluster projection. */
export interface UnlockedHome {
  readonly paths: HomePaths;
  readonly config: Config;
  readonly log: OpLog;
  readonly machine: MachineIdentity & { readonly privateKey: Uint8Array };
  /** The current key epoch's master key (`keyring.masterKey`). */
  readonly masterKey: Uint8Array;
  /** The key epochs this home holds: the current one seals, every held one opens (docs/security.md, Removal). */
  readonly keyring: Keyring;
  readonly cluster: Replica<ClusterState>;
  keysFor(ns: NamespaceId): NamespaceEpochKeys;
  storeSpec(): StoreSpec;
  /**
   * This home's store, the one connection of the process (see store-stack.ts): connected on first use, retried,
   * flood waits reported. Closed with the home.
   */
  readonly store: MessageStore;
  onFloodWait(listener: FloodWaitListener): () => void;
  /** Opens a namespace's content store as this home lays it out (cache dir, index, cache budget). */
  openChunkStore(ns: NamespaceId, store: MessageStore, workers?: ChunkWorkerPool): Promise<ChunkStore>;
  /** The creator of the cluster this home belongs to, once known (see ClusterTrust). */
  pinnedCreator(): MachineId | undefined;
  /** Records the cluster's creator; later ClusterCreated events by anyone else never count here. */
  pinCreator(creator: MachineId): Promise<void>;
  close(): Promise<void>;
}

/** How a new machine joins an existing cluster (see docs/security.md, "Admission"). */
export type JoinRequest =
  /** With an admin's invitation token: admitted at once. */
  | { readonly invitation: string }
  /** A rebuilt machine proving the password: admitted at once, recorded as a self-admission. */
  | { readonly selfAdmit: true }
  /** A pending request an admin accepts with `cluster admit`. */
  | Record<string, never>;

export function storeOptionsOf(paths: HomePaths, config: Config): OpenStoreOptions {
  const t = config.telegram;
  return {
    homeRoot: paths.root,
    telegram: {
      ...(t?.api_id === undefined ? {} : { apiId: t.api_id }),
      ...(t?.api_hash === undefined ? {} : { apiHash: t.api_hash }),
    },
  };
}

export function storeSpecOf(config: Config): StoreSpec {
  return config.store.kind === 'local' ? { kind: 'local', dir: config.store.path } : { kind: 'telegram' };
}

/**
 * Creates a home: keys from the password (with the salt of the store's manifest when the store already belongs
 * to a cluster, so every machine of it derives the same master key), a random Ed25519 identity sealed under
 * the master key, and the signed MachineJoined event.
 */
export async function initHome(
  paths: HomePaths,
  opts: {
    name: string;
    store: StoreSpec;
    password: string;
    kdf: KdfParams;
    stack?: StoreStack;
    /** The id of the cluster a new store gets (default `default`). */
    cluster?: string;
    join?: JoinRequest;
  },
): Promise<UnlockedHome> {
  const token: InvitationToken | undefined =
    opts.join !== undefined && 'invitation' in opts.join ? parseInvitation(opts.join.invitation) : undefined;
  if (token !== undefined && token.expiresAtMs < Date.now()) {
    throw new TgfsError(
      'INVITATION_INVALID',
      `the invitation expired at ${new Date(token.expiresAtMs).toISOString()}: ask an admin for a new one`,
    );
  }
  if (await exists(paths.config)) {
    throw new TgfsError(
      'HOME_ALREADY_INITIALISED',
      `${paths.root} already holds a machine; use another TGCRYPTFS_HOME`,
    );
  }
  await mkdir(paths.root, { recursive: true, mode: 0o700 });
  // The new home keeps this connection: init, its first push and whatever the caller does next share it.
  const stack = opts.stack ?? openStoreStack(opts.store, { homeRoot: paths.root });
  const store = stack.store;
  let created = false;
  let home: UnlockedHome | undefined;
  try {
    const first = await findManifest(store);
    let manifest: KeyEpochManifest;
    let keyring: Keyring;
    const creating = first === undefined;
    if (creating && token !== undefined) {
      throw new TgfsError(
        'CLUSTER_MISMATCH',
        `the store holds no cluster, but the invitation is for cluster ${token.cluster}: check --store`,
      );
    }
    if (first === undefined) {
      const salt = newSalt();
      const masterKey = await deriveMasterKey(opts.password, salt, opts.kdf);
      manifest = { epoch: 0, salt, kdf: opts.kdf, keyCheck: keyCheckValue(masterKey) };
      await writeManifest(store, { v: 1, salt, kdf: opts.kdf, keyCheck: manifest.keyCheck });
      keyring = Keyring.single(masterKey);
    } else {
      const found = await keyringFromStore(store, opts.password);
      if (found === undefined) throw wrongPassword();
      ({ manifest, keyring } = found);
    }
    const masterKey = keyring.masterKey;
    const keys = generateMachineKeyPair();
    const identity: MachineIdentity = {
      id: machineIdOf(keys.publicKey),
      name: opts.name,
      publicKey: keys.publicKey,
      createdAtMs: Date.now(),
    };
    const log = await OpLog.open(paths.db);
    created = true;
    await log
      .area('machine')
      .put(
        'identity',
        encode({ ...identity, sealedPrivateKey: seal(homeKey(masterKey), keys.privateKey, MACHINE_KEY_AAD) }),
      );
    await log.area('cluster').put('kdf', encodeKdf(manifest));
    if (manifest.keyring !== undefined) await log.area('cluster').put('keyring', manifest.keyring);
    // The trust anchor: our own genesis, or the creator the invitation names (signed by its admin).
    const pinned = creating ? identity.id : token?.creator;
    if (pinned !== undefined) await log.area('cluster').put('creator', utf8(pinned));
    const config: Config = {
      version: 2,
      machine: { name: opts.name },
      store: opts.store.kind === 'local' ? { kind: 'local', path: opts.store.dir } : { kind: 'telegram' },
      kdf: { memory_mb: manifest.kdf.memoryMiB, iterations: manifest.kdf.iterations },
      cache: { max_size_gb: 1, dirty_limit_mb: 32 },
      master_replica: { sync_interval_secs: 60, snapshot_retention: 10 },
      mount: { allow_other: false },
    };
    home = await assemble(paths, config, log, identity, keys.privateKey, keyring, stack);
    const joined = {
      machine: identity.id,
      name: identity.name,
      publicKey: identity.publicKey,
      createdAtMs: identity.createdAtMs,
    };
    if (creating) {
      await home.cluster.commit([
        { type: 'MachineJoined', body: { ...joined, role: 'master' } },
        {
          type: 'ClusterCreated',
          body: { cluster: opts.cluster ?? 'default', createdAtMs: identity.createdAtMs },
        },
      ]);
    } else if (token !== undefined) {
      const invitation = invitationProofFor(token, identity.id, identity.publicKey);
      await home.cluster.commit([
        { type: 'MachineJoined', body: { ...joined, role: token.role, invitation } },
      ]);
    } else if (opts.join !== undefined && 'selfAdmit' in opts.join) {
      const selfAdmission = selfAdmissionProof(
        selfAdmissionKeyOf(masterKey),
        identity.id,
        identity.publicKey,
      );
      await home.cluster.commit([{ type: 'MachineJoined', body: { ...joined, selfAdmission } }]);
    } else {
      await home.cluster.commit([{ type: 'MachineJoined', body: joined }]);
    }
    await writeFile(identityFile(paths), `${JSON.stringify(publicIdentity(identity), null, 2)}\n`, {
      mode: 0o644,
    });
    // Written last: a home with a config is a complete home.
    await writeConfig(paths.config, config);
    return home;
  } catch (err) {
    if (home !== undefined) await home.close();
    else await stack.close();
    if (created) await rm(paths.db, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Opens a home: reads its config, takes the log's lock, and checks the password against the key check. A password
 * that is not this home's but a newer key epoch's in the store (the cluster's password was changed) moves the
 * home to that epoch: its keyring, sealed under the new master key, holds the master keys of the epochs before,
 * so everything the home holds stays readable, and from then on it seals under the new epoch.
 */
export async function unlockHome(paths: HomePaths, password: string): Promise<UnlockedHome> {
  const config = await readConfig(paths.config);
  const log = await OpLog.open(paths.db);
  let stack: StoreStack | undefined;
  try {
    const kdfBytes = await log.area('cluster').get('kdf');
    const identityBytes = await log.area('machine').get('identity');
    if (kdfBytes === undefined || identityBytes === undefined) {
      throw new TgfsError('HOME_DAMAGED', `${paths.db} has no machine identity; the home is incomplete`);
    }
    const local = decodeKdf(kdfBytes);
    const localMaster = await deriveMasterKey(password, local.salt, local.kdf);
    let keyring: Keyring;
    let adopted: KeyEpochManifest | undefined;
    if (matchesKeyCheck(localMaster, local.keyCheck)) {
      keyring = Keyring.open(local.epoch, localMaster, await log.area('cluster').get('keyring'));
    } else {
      stack = openStoreStack(storeSpecOf(config), storeOptionsOf(paths, config));
      const found = await keyringFromStore(stack.store, password, local);
      if (found === undefined) throw wrongPassword();
      ({ keyring, manifest: adopted } = found);
    }
    const stored = decode(identityBytes) as MachineIdentity & { sealedPrivateKey: Uint8Array };
    let privateKey: Uint8Array;
    try {
      privateKey = open(homeKey(keyring.masterKeyOf(local.epoch)!), stored.sealedPrivateKey, MACHINE_KEY_AAD);
    } catch (cause) {
      throw new TgfsError('HOME_DAMAGED', 'the sealed machine key does not open with this password', {
        cause,
      });
    }
    const identity: MachineIdentity = {
      id: stored.id,
      name: stored.name,
      publicKey: stored.publicKey,
      createdAtMs: stored.createdAtMs,
    };
    if (adopted !== undefined) await adoptEpoch(log, adopted, keyring, identity, privateKey);
    stack ??= openStoreStack(storeSpecOf(config), storeOptionsOf(paths, config));
    return await assemble(paths, config, log, identity, privateKey, keyring, stack);
  } catch (err) {
    await stack?.close();
    await log.close();
    throw err;
  }
}

/**
 * The newest key epoch in the store whose key check `password` matches, with its keyring; undefined when it
 * matches none. With `holding`, the home's own epoch, only newer epochs are tried and only one whose keyring holds
 * the home's master key counts (a rotation this home's cluster made, not an epoch someone posted).
 */
export async function keyringFromStore(
  store: MessageStore,
  password: string,
  holding?: KeyEpochManifest,
): Promise<{ manifest: KeyEpochManifest; keyring: Keyring } | undefined> {
  const epochs = (await findKeyEpochs(store)).filter((e) => holding === undefined || e.epoch > holding.epoch);
  for (const e of epochs.reverse()) {
    const master = await deriveMasterKey(password, e.salt, e.kdf);
    if (!matchesKeyCheck(master, e.keyCheck)) continue;
    const keyring = Keyring.open(e.epoch, master, e.keyring);
    if (holding !== undefined) {
      const held = keyring.masterKeyOf(holding.epoch);
      if (held === undefined || !matchesKeyCheck(held, holding.keyCheck)) continue;
    }
    return { manifest: e, keyring };
  }
  return undefined;
}

/**
 * Moves this home to key epoch `manifest` (whose keyring is `keyring`): its KDF record, its copy of the keyring
 * and its sealed machine key, in one synced batch. What the home already holds stays as it was sealed.
 */
export async function adoptEpoch(
  log: OpLog,
  manifest: KeyEpochManifest,
  keyring: Keyring,
  identity: MachineIdentity,
  privateKey: Uint8Array,
): Promise<void> {
  const cluster = log.area('cluster');
  const machine = log.area('machine');
  await log.db.batch(
    [
      { type: 'put', key: 'kdf', value: encodeKdf(manifest), sublevel: cluster },
      { type: 'put', key: 'keyring', value: keyring.sealEarlier(), sublevel: cluster },
      {
        type: 'put',
        key: 'identity',
        // Field by field: `identity` may be the unlocked machine, private key and all.
        value: encode({
          id: identity.id,
          name: identity.name,
          publicKey: identity.publicKey,
          createdAtMs: identity.createdAtMs,
          sealedPrivateKey: seal(keyring.homeKey(), privateKey, MACHINE_KEY_AAD),
        }),
        sublevel: machine,
      },
    ],
    { sync: true },
  );
}

async function assemble(
  paths: HomePaths,
  config: Config,
  log: OpLog,
  identity: MachineIdentity,
  privateKey: Uint8Array,
  keyring: Keyring,
  stack: StoreStack,
): Promise<UnlockedHome> {
  const machine = { ...identity, privateKey };
  const masterKey = keyring.masterKey;
  const pinnedBytes = await log.area('cluster').get('creator');
  let pinned = pinnedBytes === undefined ? undefined : fromUtf8(pinnedBytes);
  const trust: ClusterTrust = {
    ...(pinned === undefined ? {} : { pinnedCreator: pinned }),
    selfAdmissionKey: selfAdmissionKeyOf(masterKey),
    ...(keyring.earlierSelfAdmissions.length === 0
      ? {}
      : {
          earlierSelfAdmissions: {
            machines: new Set(keyring.earlierSelfAdmissions),
            keys: keyring
              .epochs()
              .filter((e) => e !== keyring.epoch)
              .map((e) => selfAdmissionKeyOf(keyring.masterKeyOf(e)!)),
          },
        }),
  };
  const cluster = await Replica.open(
    log,
    CLUSTER_NS,
    keyring.namespaceKeys(CLUSTER_NS).eventKey,
    machine,
    clusterProjectionFor(trust),
  );
  const pinCreator = async (creator: MachineId) => {
    if (pinned !== undefined) return;
    pinned = creator;
    await log.area('cluster').put('creator', utf8(creator));
  };
  // Trust on first use for a machine that joined without an invitation: the genesis it first sees is the one it
  // keeps. Written as soon as it is seen, so a backdated genesis arriving later never counts here.
  const pinning = cluster.state$.subscribe((s) => {
    if (pinned === undefined && s.genesis !== undefined) pinCreator(s.genesis.creator).catch(() => {});
  });
  return {
    paths,
    config,
    log,
    machine,
    masterKey,
    keyring,
    cluster,
    keysFor: (ns) => keyring.namespaceKeys(ns),
    storeSpec: () => storeSpecOf(config),
    store: stack.store,
    onFloodWait: (listener) => stack.onFloodWait(listener),
    openChunkStore: (ns, store, workers) => {
      const keys = keyring.namespaceKeys(ns);
      return ChunkStore.open({
        dir: join(paths.cache, ns),
        ns,
        dataKey: keys.dataKey,
        chunkIdKey: keys.chunkIdKey,
        store,
        index: chunkIndexOf(log, ns),
        maxCacheBytes: Math.floor(config.cache.max_size_gb * 1024 ** 3),
        // Staged chunks are always followed by the synced Write event that references them, in this same
        // LevelDB: that sync carries the index entries to disk too.
        syncIndex: false,
        // File content stops short of filling the disk, so the op log can still record what happened.
        space: new SpaceReserve(paths.root),
        ...(workers === undefined ? {} : { workers }),
      });
    },
    pinnedCreator: () => pinned,
    pinCreator,
    async close() {
      pinning.unsubscribe();
      cluster.close();
      try {
        await stack.close();
      } finally {
        await log.close();
      }
    },
  };
}

/** Where a namespace's chunk index lives in the home's LevelDB (see src/transport/content/chunk-index.ts). */
export function chunkIndexOf(log: OpLog, ns: NamespaceId): ChunkIndexDb {
  return log.db.sublevel<string, string>(`chunks-${ns}`, { valueEncoding: 'utf8' });
}

/** What `machine init` and `machine show` print: nothing secret. */
export function identityReport(m: MachineIdentity, paths: HomePaths, store: StoreSpec) {
  return {
    id: m.id,
    name: m.name,
    publicKey: Buffer.from(m.publicKey).toString('hex'),
    createdAt: new Date(m.createdAtMs).toISOString(),
    home: paths.root,
    store: formatStoreSpec(store),
  };
}

function identityFile(paths: HomePaths): string {
  return join(paths.root, 'identity.json');
}

function publicIdentity(m: MachineIdentity) {
  return {
    id: m.id,
    name: m.name,
    publicKey: Buffer.from(m.publicKey).toString('hex'),
    createdAtMs: m.createdAtMs,
  };
}

/**
 * The public part of this machine's identity, readable without the password and while a mount holds the log:
 * it is copied to identity.json at init (the sealed private key stays in the log).
 */
export async function readIdentity(paths: HomePaths): Promise<MachineIdentity> {
  let text: string;
  try {
    text = await readFile(identityFile(paths), 'utf8');
  } catch (cause) {
    throw new TgfsError(
      'HOME_NOT_INITIALISED',
      `no machine in ${paths.root}: run \`tgcryptfs machine init\` first`,
      { cause },
    );
  }
  try {
    const raw = JSON.parse(text) as { id: string; name: string; publicKey: string; createdAtMs: number };
    return {
      id: raw.id,
      name: raw.name,
      publicKey: Uint8Array.from(Buffer.from(raw.publicKey, 'hex')),
      createdAtMs: raw.createdAtMs,
    };
  } catch (cause) {
    throw new TgfsError('HOME_DAMAGED', `${identityFile(paths)} is not valid JSON`, { cause });
  }
}

function selfAdmissionKeyOf(masterKey: Uint8Array): Uint8Array {
  return deriveSubkey(masterKey, SELF_ADMISSION_LABEL);
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const fromUtf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

function wrongPassword(): TgfsError {
  return new TgfsError('WRONG_PASSWORD', 'wrong password: it does not match this cluster’s key check');
}

/** The home's key epoch: `{ salt, memoryMiB, iterations, keyCheck, epoch }` (no `epoch` before rotation existed). */
function encodeKdf(m: KeyEpochManifest): Uint8Array {
  return encode({
    salt: m.salt,
    memoryMiB: m.kdf.memoryMiB,
    iterations: m.kdf.iterations,
    keyCheck: m.keyCheck,
    ...(m.epoch === 0 ? {} : { epoch: m.epoch }),
  });
}

function decodeKdf(b: Uint8Array): KeyEpochManifest {
  const r = decode(b) as {
    salt: Uint8Array;
    memoryMiB: number;
    iterations: number;
    keyCheck: Uint8Array;
    epoch?: number;
  };
  return {
    epoch: r.epoch ?? 0,
    salt: r.salt,
    kdf: { memoryMiB: r.memoryMiB, iterations: r.iterations },
    keyCheck: r.keyCheck,
  };
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
