/**
 * Membership as the `cluster` and `machine list` commands use it: invitations, admission, removal, promotion,
 * and the reports. The rules themselves are the cluster reducer's (src/projections/cluster); this module
 * checks a request against the current state first, so a command that would not count fails here, naming why,
 * instead of leaving a refused event in the log.
 */
import { randomBytes } from 'node:crypto';
import { blake3 } from '@noble/hashes/blake3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decode, encode } from 'cbor-x';
import { TgfsError } from '../errors.js';
import { publicKeyOf, signBytes } from '../events/signing.js';
import {
  CLUSTER_NS,
  type InvitationProof,
  type MachineId,
  type MachineRole,
  type NamespaceId,
} from '../events/types.js';
import { offerBytes, redeemBytes } from '../projections/cluster/admission.js';
import {
  countsAsMember,
  isAdmin,
  memberStatus,
  namespaceByName,
  pendingMembers,
} from '../projections/cluster/queries.js';
import type { ClusterState, MemberInfo } from '../projections/cluster/state.js';
import type { UnlockedHome } from './home.js';

export const MACHINE_ROLES: readonly MachineRole[] = ['master', 'replica', 'node'];
const TOKEN_PREFIX = 'tgfs-invite-1.';

/** What an invitation token carries: the offer, its signature, and the one-time secret that redeems it. */
export interface InvitationToken {
  readonly cluster: string;
  readonly creator: MachineId;
  readonly issuer: MachineId;
  readonly role: MachineRole;
  readonly admin: boolean;
  readonly expiresAtMs: number;
  readonly secret: Uint8Array;
  readonly issuerSignature: Uint8Array;
}

export function requireAdmitted(home: UnlockedHome): MemberInfo {
  const state = home.cluster.state;
  const me = state.members.get(home.machine.id);
  if (me === undefined || !countsAsMember(state, me) || me.removed !== undefined) {
    throw new TgfsError(
      me?.removed !== undefined ? 'REMOVED' : 'NOT_ADMITTED',
      me?.removed !== undefined
        ? `machine ${home.machine.id} was removed from the cluster`
        : `machine ${home.machine.id} is not admitted yet: an admin runs \`tgcryptfs cluster admit ${home.machine.id}\`, or join with an invitation (\`cluster join --token\`)`,
    );
  }
  return me;
}

export function requireAdmin(home: UnlockedHome): MemberInfo {
  const me = requireAdmitted(home);
  if (!isAdmin(home.cluster.state, me)) {
    throw new TgfsError('NOT_ADMIN', `machine ${home.machine.id} is not an admin of the cluster`);
  }
  return me;
}

function genesisOf(home: UnlockedHome) {
  const genesis = home.cluster.state.genesis;
  if (genesis === undefined) {
    throw new TgfsError(
      'INVALID_ARGUMENT',
      'this cluster was made before admission existed: run `tgcryptfs cluster create <cluster-id>` on one of its machines first',
    );
  }
  return genesis;
}

/** `cluster invite`: a one-time token, signed by this admin, naming the role, admin right and expiry. */
export function createInvitation(
  home: UnlockedHome,
  opts: { role: MachineRole; admin: boolean; expiresInMs: number; nowMs?: number },
): { token: string; expiresAt: string } {
  requireAdmin(home);
  const genesis = genesisOf(home);
  const secret = new Uint8Array(randomBytes(32));
  const expiresAtMs = Math.floor((opts.nowMs ?? Date.now()) + opts.expiresInMs);
  const offer = {
    creator: genesis.creator,
    invitePublicKey: publicKeyOf(secret),
    role: opts.role,
    admin: opts.admin,
    expiresAtMs,
  };
  const token: InvitationToken = {
    cluster: genesis.cluster,
    creator: genesis.creator,
    issuer: home.machine.id,
    role: opts.role,
    admin: opts.admin,
    expiresAtMs,
    secret,
    issuerSignature: signBytes(offerBytes(offer), home.machine.privateKey),
  };
  return {
    token: TOKEN_PREFIX + Buffer.from(encode(token)).toString('base64url'),
    expiresAt: new Date(expiresAtMs).toISOString(),
  };
}

export function parseInvitation(text: string): InvitationToken {
  const bad = (why: string) => new TgfsError('INVITATION_INVALID', `not an invitation token: ${why}`);
  const trimmed = text.trim();
  if (!trimmed.startsWith(TOKEN_PREFIX)) throw bad(`it does not start with ${TOKEN_PREFIX}`);
  let raw: Partial<InvitationToken>;
  try {
    raw = decode(Buffer.from(trimmed.slice(TOKEN_PREFIX.length), 'base64url')) as Partial<InvitationToken>;
  } catch {
    throw bad('it is damaged (copy it again, whole)');
  }
  const fields = [
    'cluster',
    'creator',
    'issuer',
    'role',
    'admin',
    'expiresAtMs',
    'secret',
    'issuerSignature',
  ];
  for (const f of fields) if ((raw as Record<string, unknown>)[f] === undefined) throw bad(`it has no ${f}`);
  if (!MACHINE_ROLES.includes(raw.role as MachineRole)) throw bad(`unknown role ${String(raw.role)}`);
  return {
    ...(raw as InvitationToken),
    secret: new Uint8Array(raw.secret as Uint8Array),
    issuerSignature: new Uint8Array(raw.issuerSignature as Uint8Array),
  };
}

/** The proof a joining machine puts in its MachineJoined: the offer, and its binding signed with the secret. */
export function invitationProofFor(
  token: InvitationToken,
  machine: MachineId,
  publicKey: Uint8Array,
): InvitationProof {
  return {
    issuer: token.issuer,
    invitePublicKey: publicKeyOf(token.secret),
    role: token.role,
    admin: token.admin,
    expiresAtMs: token.expiresAtMs,
    issuerSignature: token.issuerSignature,
    redeemSignature: signBytes(redeemBytes(machine, publicKey), token.secret),
  };
}

/** `cluster join <cluster-id> --token T` on a home whose join is pending: presents the invitation. */
export async function redeemInvitation(home: UnlockedHome, clusterId: string, text: string): Promise<void> {
  const token = parseInvitation(text);
  if (token.cluster !== clusterId) {
    throw new TgfsError(
      'CLUSTER_MISMATCH',
      `the invitation is for cluster ${token.cluster}, not ${clusterId}`,
    );
  }
  const genesis = home.cluster.state.genesis;
  if (genesis !== undefined && genesis.creator !== token.creator) {
    throw new TgfsError(
      'CLUSTER_MISMATCH',
      `the invitation is for a cluster created by ${token.creator}; this store's was created by ${genesis.creator}`,
    );
  }
  if (token.expiresAtMs < Date.now()) {
    throw new TgfsError(
      'INVITATION_INVALID',
      `the invitation expired at ${new Date(token.expiresAtMs).toISOString()}`,
    );
  }
  const m = home.machine;
  await home.cluster.commit([
    {
      type: 'MachineJoined',
      body: {
        machine: m.id,
        name: m.name,
        publicKey: m.publicKey,
        createdAtMs: m.createdAtMs,
        role: token.role,
        invitation: invitationProofFor(token, m.id, m.publicKey),
      },
    },
  ]);
}

/** A member named by its id, an unambiguous id prefix, or its name. */
export function findMember(state: ClusterState, ref: string): MemberInfo {
  const exact = state.members.get(ref);
  if (exact !== undefined) return exact;
  const matches = [...state.members.values()].filter((m) => m.machine.startsWith(ref) || m.name === ref);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new TgfsError(
      'INVALID_ARGUMENT',
      `${ref} names ${matches.length} machines (${matches.map((m) => m.machine).join(', ')}): give more of the id`,
    );
  }
  throw new TgfsError('UNKNOWN_MACHINE', `no machine ${ref} in the cluster (see \`tgcryptfs machine list\`)`);
}

/** `cluster admit`: accepts a pending join, the machine with exactly the key shown in `cluster members --pending`. */
export async function admitMachine(home: UnlockedHome, ref: string): Promise<MemberInfo> {
  requireAdmin(home);
  const state = home.cluster.state;
  const m = findMember(state, ref);
  if (m.removed !== undefined)
    throw new TgfsError('REMOVED', `machine ${m.machine} was removed from the cluster`);
  if (countsAsMember(state, m)) return m;
  await home.cluster.commit([
    { type: 'MachineAdmitted', body: { machine: m.machine, publicKey: m.publicKey } },
  ]);
  return home.cluster.state.members.get(m.machine) ?? m;
}

/**
 * `cluster remove`: every event of the machine this home holds keeps counting, every later one is refused
 * everywhere. The cutoff is this home's knowledge, so sync before removing to keep the machine's last work.
 */
export async function removeMachine(home: UnlockedHome, ref: string): Promise<Record<NamespaceId, number>> {
  requireAdmin(home);
  const state = home.cluster.state;
  const m = findMember(state, ref);
  if (m.removed !== undefined) return { ...m.removed.cutoff };
  if (m.machine === home.machine.id)
    throw new TgfsError('INVALID_ARGUMENT', 'a machine cannot remove itself');
  const cutoff = await cutoffOf(home, m.machine);
  await home.cluster.commit([{ type: 'MachineRemoved', body: { machine: m.machine, cutoff } }]);
  return cutoff;
}

/** Per namespace, the last seq of the machine's chain this home holds: what keeps counting after a removal. */
async function cutoffOf(home: UnlockedHome, machine: MachineId): Promise<Record<NamespaceId, number>> {
  const cutoff: Record<NamespaceId, number> = {};
  for (const ns of [CLUSTER_NS, ...home.cluster.state.namespaces.keys()]) {
    const head = await home.log.headOf(ns, machine);
    if (head !== undefined) cutoff[ns] = head.seq;
  }
  return cutoff;
}

/** `cluster promote <machine> --namespace NS`: moves a master-replica namespace's master role. */
export async function promoteMaster(home: UnlockedHome, ref: string, namespace: string): Promise<void> {
  requireAdmin(home);
  const state = home.cluster.state;
  const m = findMember(state, ref);
  const info = namespaceByName(state, namespace) ?? state.namespaces.get(namespace);
  if (info === undefined) throw new TgfsError('NAMESPACE_UNKNOWN', `unknown namespace ${namespace}`);
  if (info.mode !== 'master-replica') {
    throw new TgfsError(
      'INVALID_ARGUMENT',
      `namespace ${info.name} is ${info.mode}: only master-replica has a master`,
    );
  }
  if (memberStatus(state, m) !== 'admitted') {
    throw new TgfsError('NOT_ADMITTED', `machine ${m.machine} is ${memberStatus(state, m)}, not admitted`);
  }
  if (info.master === m.machine) return;
  // The terms end and start at what this home has seen of each: sync first to keep the old master's last work.
  const outgoingUpTo = (await home.log.headOf(info.id, info.master))?.seq ?? 0;
  const incomingAfter = (await home.log.headOf(info.id, m.machine))?.seq ?? 0;
  await home.cluster.commit([
    { type: 'MasterChanged', body: { namespace: info.id, master: m.machine, outgoingUpTo, incomingAfter } },
  ]);
}

/** A short fingerprint of a public key to compare out of band before `cluster admit`. */
export function fingerprint(publicKey: Uint8Array): string {
  const hex = bytesToHex(blake3(publicKey).slice(0, 8));
  return hex.match(/.{4}/g)!.join('-');
}

export interface MemberReport {
  readonly id: MachineId;
  readonly name: string;
  readonly role: MachineRole;
  readonly admin: boolean;
  readonly status: 'admitted' | 'pending' | 'removed';
  readonly admittedBy: string | null;
  readonly fingerprint: string;
  readonly legacyId: boolean;
  readonly firstSeen: string;
  readonly lastSeen: string | null;
  readonly self: boolean;
}

/** `cluster members` and `machine list`: every machine the cluster knows, with its standing. */
export async function memberReports(home: UnlockedHome): Promise<MemberReport[]> {
  const state = home.cluster.state;
  const namespaces = [CLUSTER_NS, ...state.namespaces.keys()];
  const out: MemberReport[] = [];
  for (const m of state.members.values()) {
    let lastMs: number | undefined;
    for (const ns of namespaces) {
      const head = await home.log.headOf(ns, m.machine);
      if (head?.hlc !== undefined && (lastMs === undefined || head.hlc.wallMs > lastMs))
        lastMs = head.hlc.wallMs;
    }
    const a = m.admission;
    out.push({
      id: m.machine,
      name: m.name,
      role: m.role,
      admin: isAdmin(state, m),
      status: memberStatus(state, m),
      admittedBy:
        a === undefined
          ? state.genesis === undefined
            ? 'legacy'
            : null
          : a.how === 'creator' || a.how === 'password'
            ? a.how
            : `${a.how} by ${a.by}`,
      fingerprint: fingerprint(m.publicKey),
      legacyId: m.machine[14] === '4',
      firstSeen: new Date(m.pos.hlc.wallMs).toISOString(),
      lastSeen: lastMs === undefined ? null : new Date(lastMs).toISOString(),
      self: m.machine === home.machine.id,
    });
  }
  return out.sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0));
}

export { pendingMembers };

/**
 * `cluster create <cluster-id>` on a cluster made before admission existed: this machine becomes its creator
 * and first admin, and every machine that had joined is adopted as admitted. (A new store gets its genesis
 * from its first `machine init`.)
 */
export async function createCluster(home: UnlockedHome, clusterId: string): Promise<void> {
  const state = home.cluster.state;
  if (state.genesis !== undefined) {
    throw new TgfsError(
      'CLUSTER_EXISTS',
      `this store already holds cluster ${state.genesis.cluster}, created by ${state.genesis.creator}`,
    );
  }
  if (clusterId.trim() === '') throw new TgfsError('INVALID_ARGUMENT', 'a cluster id must not be empty');
  const adopted = [...state.members.keys()].filter((m) => m !== home.machine.id).sort();
  await home.cluster.commit([
    { type: 'ClusterCreated', body: { cluster: clusterId, createdAtMs: Date.now(), adopted } },
  ]);
  await home.pinCreator(home.machine.id);
}

/**
 * After a rebuild: take over a lost machine (its admin right, standalone namespaces and master roles), which
 * is removed with every event of it this home holds still counting. `ref` undefined picks the one other
 * admitted machine when there is exactly one (a single-machine cluster's rebuild), else does nothing.
 */
export async function replaceMachine(
  home: UnlockedHome,
  ref: string | undefined,
): Promise<MemberInfo | undefined> {
  const state = home.cluster.state;
  const others = [...state.members.values()].filter(
    (m) => m.machine !== home.machine.id && memberStatus(state, m) === 'admitted',
  );
  const lost = ref === undefined ? (others.length === 1 ? others[0] : undefined) : findMember(state, ref);
  if (lost === undefined) return undefined;
  if (lost.machine === home.machine.id)
    throw new TgfsError('INVALID_ARGUMENT', 'a machine cannot replace itself');
  if (lost.removed !== undefined)
    throw new TgfsError('REMOVED', `machine ${lost.machine} was already removed`);
  const cutoff = await cutoffOf(home, lost.machine);
  await home.cluster.commit([{ type: 'MachineReplaced', body: { machine: lost.machine, cutoff } }]);
  return lost;
}
