import { deriveMasterKey, newSalt } from '../crypto/kdf.js';
import { keyCheckValue } from '../crypto/key-check.js';
import { TgfsError } from '../errors.js';
import { signBytes, verifyBytes } from '../events/signing.js';
import { isAdmin } from '../projections/cluster/queries.js';
import {
  findKeyEpochs,
  type KeyEpochManifest,
  signedPart,
  writeKeyEpoch,
} from '../transport/sync/cluster-manifest.js';
import { adoptEpoch, type UnlockedHome } from './home.js';
import { requireAdmin } from './membership.js';

export interface RotationReport {
  /** The new key epoch. */
  readonly epoch: number;
  readonly createdAtMs: number;
}

/**
 * `cluster rotate-key` (and `cluster remove --new-password-file`): starts a new key epoch under a new password.
 * The admin posts the epoch's manifest (KDF salt and parameters, key check, the keyring of every earlier epoch's
 * master key sealed under the new one, its signature) and moves its own home to it. From then on this home seals
 * every event, chunk, pack, checkpoint and snapshot under the new epoch's keys; the other machines move when they
 * next unlock with the new password (unlockHome), and until then hold what is sealed under it, unread. A machine
 * that knows only an older password reads nothing of the new epoch. Events already sealed stay as they are.
 */
export async function rotateKeyEpoch(
  home: UnlockedHome,
  newPassword: string,
  now: number = Date.now(),
): Promise<RotationReport> {
  requireAdmin(home);
  const state = home.cluster.state;
  const epochs = await findKeyEpochs(home.store);
  // Another admin's rotation this home has not moved to: rotating from here would leave it out of the keyring.
  const ahead = epochs.find((e) => e.epoch > home.keyring.epoch && signedByAdmin(home, e));
  if (ahead !== undefined) {
    throw new TgfsError(
      'WRONG_PASSWORD',
      `the cluster's password already changed on ${dateOf(ahead.createdAtMs)} (key epoch ${ahead.epoch}): unlock with that password first`,
    );
  }
  // Epoch numbers posted by others (unsigned, or signed by a non-admin) are skipped, not reused.
  const epoch = Math.max(home.keyring.epoch, ...epochs.map((e) => e.epoch)) + 1;
  const kdf = { memoryMiB: home.config.kdf.memory_mb, iterations: home.config.kdf.iterations };
  const salt = newSalt();
  const masterKey = await deriveMasterKey(newPassword, salt, kdf);
  // Machines admitted by proving an earlier password keep counting under it; nobody else can use an old one.
  const selfAdmitted = new Set(home.keyring.earlierSelfAdmissions);
  for (const m of state.members.values())
    if (m.admission?.how === 'password' && m.removed === undefined) selfAdmitted.add(m.machine);
  const keyring = home.keyring.withEpoch(epoch, masterKey, [...selfAdmitted].sort());
  const unsigned: KeyEpochManifest = {
    epoch,
    salt,
    kdf,
    keyCheck: keyCheckValue(masterKey),
    createdAtMs: now,
    keyring: keyring.sealEarlier(),
    signer: home.machine.id,
  };
  const manifest = { ...unsigned, signature: signBytes(signedPart(unsigned), home.machine.privateKey) };
  await writeKeyEpoch(home.store, manifest);
  // Two admins rotating at once: the epoch posted first in the store is the one machines find first.
  const rival = (await findKeyEpochs(home.store)).find((e) => e.epoch === epoch && signedByAdmin(home, e));
  if (rival !== undefined && !sameBytes(rival.keyCheck, manifest.keyCheck)) {
    throw new TgfsError(
      'CLUSTER_MISMATCH',
      `another admin (${rival.signer}) changed the cluster's password at the same time (key epoch ${epoch}): unlock with that password, then rotate again`,
    );
  }
  await adoptEpoch(home.log, manifest, keyring, home.machine, home.machine.privateKey);
  return { epoch, createdAtMs: now };
}

/** Whether a posted epoch was signed by an admin of the cluster as this home knows it. */
function signedByAdmin(home: UnlockedHome, e: KeyEpochManifest): boolean {
  if (e.signer === undefined || e.signature === undefined) return false;
  const signer = home.cluster.state.members.get(e.signer);
  if (signer === undefined || !isAdmin(home.cluster.state, signer)) return false;
  return verifyBytes(signedPart(e), e.signature, signer.publicKey);
}

function dateOf(ms: number | undefined): string {
  return ms === undefined ? 'an unknown date' : new Date(ms).toISOString().slice(0, 10);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
