/**
 * The cluster reducer. Whether a cluster event counts depends on the events before it (an admit counts only
 * if its author was an admin then; a namespace only if its creator was admitted), so the state keeps every
 * cluster event in canonical order and derives the rest by folding them with `apply`. An event that sorts
 * last (every replay, nearly every live event) is applied at once; one that sorts earlier re-derives the
 * whole state, which is cheap for the few hundred events a cluster namespace holds. Replicas holding the same
 * events therefore agree on the state and on the refusals, whatever order the events arrived in.
 *
 * The rules (docs/security.md): a machine introduces only itself; the pinned creator's ClusterCreated is the
 * genesis and makes it the first admin; a member counts once admitted (creator, adopted, invitation, admit,
 * password); admins admit, remove and promote; a removed machine's events after its cutoff are refused; a
 * namespace id must be derived from its creator's id. A cluster without a genesis (made before admission
 * existed) counts everyone, as it always did.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { namespaceIdOf } from '../../crypto/ids.js';
import { compareCanonical, positionOf } from '../../events/canonical-order.js';
import { CLUSTER_NS, type EventOf, type MachineId, type TgfsEvent } from '../../events/types.js';
import type { PolicyRefusalCode, Verdict } from '../policy/namespace-policy.js';
import { recordRefusal } from '../policy/refusals.js';
import { invitationFault, isSelfAdmissionValid } from './admission.js';
import { countsAsMember, isAdmin, removalCutoff } from './queries.js';
import { type ClusterState, type MemberInfo, type NamespaceInfo, resetDerived } from './state.js';

export function evolveCluster(state: ClusterState, event: TgfsEvent): ClusterState {
  const events = state.events;
  const pos = positionOf(event);
  // Binary search for the insertion point; an event already held is a redelivery and changes nothing.
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCanonical(positionOf(events[mid]!), pos) < 0) lo = mid + 1;
    else hi = mid;
  }
  const at = events[lo];
  if (at !== undefined && at.author === event.author && at.seq === event.seq) return state;
  events.splice(lo, 0, event);
  // A genesis changes how everything before it is read, so it re-derives even when it sorts last.
  if (lo === events.length - 1 && event.type !== 'ClusterCreated') {
    apply(state, event);
  } else {
    resetDerived(state);
    state.expectedGenesis = findGenesis(state);
    for (const e of events) apply(state, e);
  }
  return state;
}

/**
 * The ClusterCreated that counts: the pinned creator's (any author's while nothing is pinned), the
 * canonical-first of them, from an author that introduced itself before it.
 */
function findGenesis(state: ClusterState): ClusterState['expectedGenesis'] {
  const joined = new Set<string>();
  const pinned = state.trust.pinnedCreator;
  for (const e of state.events) {
    if (e.type === 'MachineJoined' && e.body.machine === e.author) joined.add(e.author);
    if (e.type !== 'ClusterCreated' || !joined.has(e.author)) continue;
    if (pinned !== undefined && e.author !== pinned) continue;
    return { author: e.author, seq: e.seq, members: new Set([e.author, ...(e.body.adopted ?? [])]) };
  }
  return undefined;
}

/**
 * A cluster event the namespace policy refused: the cluster namespace's policy is open, so this only happens
 * if a caller folds cluster events under another policy; remembered with its reason.
 */
export function refuseCluster(
  state: ClusterState,
  event: TgfsEvent,
  verdict: Extract<Verdict, { allowed: false }>,
): ClusterState {
  recordRefusal(state.refused, event, verdict);
  return state;
}

function refuse(state: ClusterState, event: TgfsEvent, code: PolicyRefusalCode, reason: string): void {
  recordRefusal(state.refused, event, { code, reason: `${event.type} by ${event.author}: ${reason}` });
}

function apply(state: ClusterState, event: TgfsEvent): void {
  const author = state.members.get(event.author);
  const cutoff = author === undefined ? undefined : removalCutoff(author, CLUSTER_NS);
  if (cutoff !== undefined && event.seq > cutoff) {
    refuse(state, event, 'REMOVED', `machine ${event.author} was removed from the cluster`);
    return;
  }
  switch (event.type) {
    case 'MachineJoined':
      join(state, event);
      return;
    case 'ClusterCreated':
      create(state, event);
      return;
    case 'MachineAdmitted':
      admit(state, event);
      return;
    case 'MachineRemoved':
      remove(state, event);
      return;
    case 'MachineReplaced':
      replace(state, event);
      return;
    case 'MasterChanged':
      promote(state, event);
      return;
    case 'NamespaceCreated':
      createNamespace(state, event);
      return;
    case 'Create':
    case 'Write':
    case 'Delete':
    case 'Move':
    case 'Link':
    case 'SetAttr':
      return;
  }
}

function join(state: ClusterState, event: EventOf<'MachineJoined'>): void {
  const { body } = event;
  if (body.machine !== event.author) {
    refuse(
      state,
      event,
      'FORGED_IDENTITY',
      `names machine ${body.machine}, not its author: a machine introduces only itself`,
    );
    return;
  }
  const pos = positionOf(event);
  let member = state.members.get(body.machine);
  if (member !== undefined && !sameBytes(member.publicKey, body.publicKey)) {
    // Only a legacy (random) id can get here: the verifier holds key-derived ids to their key.
    refuse(state, event, 'MACHINE_KEY_CONFLICT', `machine ${body.machine} is already bound to another key`);
    return;
  }
  if (member === undefined) {
    member = {
      machine: body.machine,
      name: body.name,
      publicKey: body.publicKey,
      role: body.role ?? 'node',
      joinedAtMs: body.createdAtMs,
      pos,
      admin: false,
    };
    state.members.set(member.machine, member);
  }
  if (member.admission !== undefined) return;
  if (body.invitation !== undefined) {
    const proof = body.invitation;
    const keyHex = bytesToHex(proof.invitePublicKey);
    const issuer = state.members.get(proof.issuer);
    const redeemedBy = state.redeemed.get(keyHex);
    const fault =
      state.genesis === undefined
        ? 'the cluster has no genesis to check the invitation against'
        : issuer === undefined || !isAdmin(state, issuer)
          ? `the invitation's issuer ${proof.issuer} is not an admin`
          : redeemedBy !== undefined && redeemedBy !== member.machine
            ? `the invitation was already used by ${redeemedBy}`
            : invitationFault(proof, {
                creator: state.genesis.creator,
                issuerKey: issuer.publicKey,
                machine: member.machine,
                publicKey: member.publicKey,
                atMs: event.hlc.wallMs,
              });
    if (fault !== undefined) {
      refuse(state, event, 'INVITATION_REFUSED', `${fault}; the join waits for \`cluster admit\``);
      return;
    }
    state.redeemed.set(keyHex, member.machine);
    state.members.set(member.machine, {
      ...member,
      role: proof.role,
      admin: proof.admin,
      admission: { how: 'invitation', by: proof.issuer, pos },
    });
    return;
  }
  if (body.selfAdmission !== undefined) {
    if (
      !isSelfAdmissionValid(
        state.trust.selfAdmissionKey,
        member.machine,
        member.publicKey,
        body.selfAdmission,
      ) &&
      !isEarlierSelfAdmission(state.trust, member.machine, member.publicKey, body.selfAdmission)
    ) {
      refuse(
        state,
        event,
        'INVITATION_REFUSED',
        'its proof of the password does not check out; the join waits for `cluster admit`',
      );
      return;
    }
    state.members.set(member.machine, { ...member, admission: { how: 'password', pos } });
  }
}

function create(state: ClusterState, event: EventOf<'ClusterCreated'>): void {
  const expected = state.expectedGenesis;
  if (state.genesis !== undefined) {
    refuse(state, event, 'CLUSTER_EXISTS', `the cluster was already created by ${state.genesis.creator}`);
    return;
  }
  const creator = state.members.get(event.author);
  if (
    expected === undefined ||
    expected.author !== event.author ||
    expected.seq !== event.seq ||
    creator === undefined
  ) {
    const pinned = state.trust.pinnedCreator;
    refuse(
      state,
      event,
      'NOT_GENESIS',
      pinned === undefined ? 'not the cluster’s genesis' : `this cluster was created by ${pinned}`,
    );
    return;
  }
  const pos = positionOf(event);
  state.genesis = {
    creator: event.author,
    cluster: event.body.cluster,
    createdAtMs: event.body.createdAtMs,
    pos,
  };
  state.members.set(creator.machine, { ...creator, admin: true, admission: { how: 'creator', pos } });
  for (const machine of event.body.adopted ?? []) {
    const m = state.members.get(machine);
    if (m !== undefined && m.admission === undefined) {
      state.members.set(machine, { ...m, admission: { how: 'adopted', by: event.author, pos } });
    }
  }
}

/** The author of an admin event, or undefined after recording why it does not count. */
function adminAuthor(state: ClusterState, event: TgfsEvent): MemberInfo | undefined {
  const author = state.members.get(event.author);
  if (author === undefined || !isAdmin(state, author)) {
    refuse(state, event, 'NOT_ADMIN', 'only an admin may do this');
    return undefined;
  }
  return author;
}

function admit(state: ClusterState, event: EventOf<'MachineAdmitted'>): void {
  if (adminAuthor(state, event) === undefined) return;
  const m = state.members.get(event.body.machine);
  if (m === undefined || !sameBytes(m.publicKey, event.body.publicKey)) {
    refuse(state, event, 'UNKNOWN_MACHINE', `no join of ${event.body.machine} with this key`);
    return;
  }
  if (m.removed !== undefined) {
    refuse(state, event, 'REMOVED', `machine ${m.machine} was removed; it must rejoin under a new identity`);
    return;
  }
  if (m.admission !== undefined) return;
  state.members.set(m.machine, {
    ...m,
    admission: { how: 'admit', by: event.author, pos: positionOf(event) },
  });
}

function remove(state: ClusterState, event: EventOf<'MachineRemoved'>): void {
  if (adminAuthor(state, event) === undefined) return;
  const m = state.members.get(event.body.machine);
  if (m === undefined) {
    refuse(state, event, 'UNKNOWN_MACHINE', `no machine ${event.body.machine} in the cluster`);
    return;
  }
  if (m.removed !== undefined) return;
  const otherAdmins = [...state.members.values()].filter((x) => x.machine !== m.machine && isAdmin(state, x));
  if (isAdmin(state, m) && otherAdmins.length === 0) {
    refuse(state, event, 'LAST_ADMIN', `machine ${m.machine} is the last admin`);
    return;
  }
  state.members.set(m.machine, {
    ...m,
    admin: false,
    removed: { by: event.author, pos: positionOf(event), cutoff: event.body.cutoff },
  });
}

function replace(state: ClusterState, event: EventOf<'MachineReplaced'>): void {
  const author = state.members.get(event.author);
  if (author === undefined || !countsAsMember(state, author) || author.removed !== undefined) {
    refuse(state, event, 'NOT_ADMITTED', 'its author is not an admitted member');
    return;
  }
  if (author.admission?.how !== 'password' && !isAdmin(state, author)) {
    refuse(
      state,
      event,
      'NOT_ADMIN',
      'only a machine admitted by the password (a rebuild) or an admin may do this',
    );
    return;
  }
  const lost = state.members.get(event.body.machine);
  if (lost === undefined || lost.machine === author.machine) {
    refuse(state, event, 'UNKNOWN_MACHINE', `no other machine ${event.body.machine} in the cluster`);
    return;
  }
  if (lost.removed !== undefined) {
    refuse(state, event, 'REMOVED', `machine ${lost.machine} was already removed`);
    return;
  }
  const pos = positionOf(event);
  state.members.set(author.machine, { ...author, admin: author.admin || isAdmin(state, lost) });
  state.members.set(lost.machine, {
    ...lost,
    admin: false,
    removed: { by: event.author, pos, cutoff: event.body.cutoff },
  });
  for (const info of [...state.namespaces.values()]) {
    if (info.master !== lost.machine) continue;
    const upTo = event.body.cutoff[info.id] ?? 0;
    // The author is new (rebuilt): it has no events here the admin could have overlooked.
    replaceNamespace(state, handOver(info, author.machine, upTo, 0));
  }
}

function handOver(
  info: NamespaceInfo,
  next: MachineId,
  outgoingUpTo: number,
  incomingAfter: number,
): NamespaceInfo {
  const terms = info.terms.map((t) =>
    t.upToSeq === undefined ? { ...t, upToSeq: Math.max(t.afterSeq, outgoingUpTo) } : t,
  );
  return { ...info, master: next, terms: [...terms, { machine: next, afterSeq: incomingAfter }] };
}

function promote(state: ClusterState, event: EventOf<'MasterChanged'>): void {
  if (adminAuthor(state, event) === undefined) return;
  const info = state.namespaces.get(event.body.namespace);
  if (info === undefined) {
    refuse(state, event, 'UNKNOWN_NAMESPACE', `no namespace ${event.body.namespace}`);
    return;
  }
  const next = state.members.get(event.body.master);
  if (next === undefined || !countsAsMember(state, next) || next.removed !== undefined) {
    refuse(state, event, 'NOT_ADMITTED', `machine ${event.body.master} is not an admitted member`);
    return;
  }
  if (info.mode !== 'master-replica') {
    refuse(state, event, 'UNKNOWN_NAMESPACE', `namespace ${info.id} is ${info.mode}, not master-replica`);
    return;
  }
  if (info.master === next.machine) return;
  replaceNamespace(state, handOver(info, next.machine, event.body.outgoingUpTo, event.body.incomingAfter));
}

function createNamespace(state: ClusterState, event: EventOf<'NamespaceCreated'>): void {
  const { body } = event;
  const author = state.members.get(event.author);
  if (author === undefined || !countsAsMember(state, author)) {
    refuse(state, event, 'NOT_ADMITTED', 'its author is not an admitted member');
    return;
  }
  // Since the genesis, a namespace id must prove its creator; older namespaces (adopted with their cluster) had
  // random ids.
  const proven = body.nonce !== undefined && namespaceIdOf(event.author, body.nonce) === body.namespace;
  if (!proven && (body.nonce !== undefined || state.genesis !== undefined)) {
    refuse(
      state,
      event,
      'FORGED_NAMESPACE',
      `namespace id ${body.namespace} was not created by this machine`,
    );
    return;
  }
  if (state.namespaces.has(body.namespace)) {
    refuse(state, event, 'NAMESPACE_EXISTS', `namespace ${body.namespace} already exists`);
    return;
  }
  const master = state.members.get(body.master);
  if (body.master !== event.author && (master === undefined || !countsAsMember(state, master))) {
    refuse(state, event, 'NOT_ADMITTED', `its master ${body.master} is not an admitted member`);
    return;
  }
  const info: NamespaceInfo = {
    id: body.namespace,
    name: body.name,
    mode: body.mode,
    conflict: body.conflict,
    creator: event.author,
    master: body.master,
    terms: [{ machine: body.master, afterSeq: 0 }],
    createdAtMs: body.createdAtMs,
    pos: positionOf(event),
  };
  state.namespaces.set(info.id, info);
  const claims = state.claims.get(info.name) ?? [];
  // Applied in canonical order: a later claim never takes the name.
  claims.push(info);
  state.claims.set(info.name, claims);
  if (claims.length === 1) state.byName.set(info.name, info.id);
}

function replaceNamespace(state: ClusterState, info: NamespaceInfo): void {
  state.namespaces.set(info.id, info);
  const claims = state.claims.get(info.name);
  if (claims !== undefined)
    state.claims.set(
      info.name,
      claims.map((c) => (c.id === info.id ? info : c)),
    );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The same reducer under the name the namespace projection uses, for code generic over projections. */
export { evolveCluster as evolve };

/** A proof of an earlier epoch's password by a machine the rotating admin listed as admitted by it. */
function isEarlierSelfAdmission(
  trust: ClusterState['trust'],
  machine: MachineId,
  publicKey: Uint8Array,
  proof: Uint8Array,
): boolean {
  const earlier = trust.earlierSelfAdmissions;
  if (earlier === undefined || !earlier.machines.has(machine)) return false;
  return earlier.keys.some((key) => isSelfAdmissionValid(key, machine, publicKey, proof));
}
