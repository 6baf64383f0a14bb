import { randomBytes } from 'node:crypto';
import { decode, encode } from 'cbor-x';
import { manifestAad } from '../../crypto/contexts.js';
import { type KeyInput, openInEpoch, sealInEpoch } from '../../crypto/epoch-box.js';
import { CLUSTER_NS, type NamespaceId } from '../../events/types.js';
import { formatCaption, parseCaption } from '../store/captions.js';
import { listPages } from '../store/list-pages.js';
import type { MessageId, MessageStore } from '../store/message-store.js';
import { type ClusterManifest, decodeManifest, encodeManifest, findManifest } from './cluster-manifest.js';

/**
 * The part of the manifest that changes: the namespace directory and a pointer to the newest `meta` snapshot,
 * sealed with the cluster event key. Each snapshot appends a manifest message repeating the first one's KDF
 * salt, parameters and key check with a new directory, and deletes the previous such message. The first
 * manifest stays the trust anchor: an update whose key material differs from it is not believed.
 */
export interface ManifestDirectory {
  readonly namespaces: ReadonlyArray<{
    readonly id: NamespaceId;
    readonly name: string;
    readonly mode: string;
  }>;
  readonly snapshot: MessageId;
}

const UPDATE_PREFIX = 'dir-';

/** The sealed directory names its key epoch (epoch-box.ts). */
function aad(captionId: string): (epoch: number) => Uint8Array {
  return (epoch) => manifestAad(CLUSTER_NS, captionId, epoch);
}

function sameKeyMaterial(a: ClusterManifest, b: ClusterManifest): boolean {
  return (
    Buffer.from(a.salt).equals(Buffer.from(b.salt)) &&
    Buffer.from(a.keyCheck).equals(Buffer.from(b.keyCheck)) &&
    a.kdf.memoryMiB === b.kdf.memoryMiB &&
    a.kdf.iterations === b.kdf.iterations
  );
}

/** Appends a manifest update with `directory`, then deletes the updates before it. */
export async function writeManifestDirectory(
  store: MessageStore,
  clusterKey: KeyInput,
  directory: ManifestDirectory,
): Promise<MessageId | undefined> {
  const anchor = await findManifest(store);
  if (anchor === undefined) return undefined;
  const captionId = `${UPDATE_PREFIX}${randomBytes(12).toString('hex')}`;
  const sealed = sealInEpoch(clusterKey, encode(directory), aad(captionId));
  const id = await store.append(
    formatCaption({ namespace: CLUSTER_NS, type: 'manifest', id: captionId }),
    encode({ manifest: encodeManifest(anchor), directory: sealed }),
  );
  const older = (await updates(store)).filter((u) => u.id !== id).map((u) => u.id);
  if (older.length > 0) await store.delete(older);
  return id;
}

/** The directory of the newest manifest update that agrees with the first manifest and opens with the key. */
export async function readManifestDirectory(
  store: MessageStore,
  clusterKey: KeyInput,
): Promise<ManifestDirectory | undefined> {
  const anchor = await findManifest(store);
  if (anchor === undefined) return undefined;
  for (const u of (await updates(store)).reverse()) {
    try {
      const raw = decode(await store.read(u.id)) as { manifest: Uint8Array; directory: Uint8Array };
      if (!sameKeyMaterial(decodeManifest(raw.manifest, u.id), anchor)) continue;
      return decode(openInEpoch(clusterKey, raw.directory, aad(u.captionId))) as ManifestDirectory;
    } catch (err) {
      if ((err as { code?: string }).code === 'STORE_UNAVAILABLE') throw err;
    }
  }
  return undefined;
}

async function updates(store: MessageStore): Promise<{ id: MessageId; captionId: string }[]> {
  const out: { id: MessageId; captionId: string }[] = [];
  for await (const page of listPages(store)) {
    for (const m of page) {
      const c = parseCaption(m.caption);
      if (c?.type === 'manifest' && c.namespace === CLUSTER_NS && c.id.startsWith(UPDATE_PREFIX)) {
        out.push({ id: m.id, captionId: c.id });
      }
    }
  }
  return out;
}
