/**
 * The attacks of the trust issue, each made by a modified client built from the project's own modules: a
 * member holding the password signs what an honest client never would, appends it to its own log and pushes
 * it through the real sync path. Every honest home pulls it and must refuse it, say why, and keep counting
 * the victim's own events.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { homePaths } from '../../../src/config/home-paths.js';
import { newNamespaceId } from '../../../src/crypto/ids.js';
import { EventWriter } from '../../../src/events/event-writer.js';
import { publicKeyOf, signBytes } from '../../../src/events/signing.js';
import {
  CLUSTER_NS,
  type EventBodies,
  type EventType,
  type MachineId,
  type NamespaceId,
  ROOT_INODE,
} from '../../../src/events/types.js';
import { initHome, type UnlockedHome } from '../../../src/home/home.js';
import {
  admitMachine,
  createInvitation,
  invitationProofFor,
  memberReports,
  parseInvitation,
  removeMachine,
} from '../../../src/home/membership.js';
import { openNamespaceSession } from '../../../src/home/namespace-session.js';
import { openSync, syncStatus } from '../../../src/home/sync-service.js';
import { offerBytes } from '../../../src/projections/cluster/admission.js';
import { childrenOf } from '../../../src/projections/namespace/queries.js';
import type { NamespaceState } from '../../../src/projections/namespace/state.js';
import { mayWrite, policyFor } from '../../../src/projections/policy/namespace-policy.js';
import { policyStream } from '../../../src/projections/policy/policy-stream.js';
import { namespaceProjection } from '../../../src/projections/projection-specs.js';
import { Replica } from '../../../src/projections/replica.js';
import { mkdir, PASSWORD } from './sync-fixtures.js';

const FAST_KDF = { memoryMiB: 8, iterations: 1 };

interface Cluster {
  root: string;
  store: { kind: 'local'; dir: string };
  a: UnlockedHome;
  homes: Map<string, UnlockedHome>;
  /** `scratch` takes the attacks that break the attacker's own chain, so the other tests stay independent. */
  ns: { shared: NamespaceId; mr: NamespaceId; solo: NamespaceId; scratch: NamespaceId };
}

async function newHome(c: Pick<Cluster, 'root' | 'store' | 'homes'>, name: string, token?: string) {
  const home = await initHome(homePaths(join(c.root, name)), {
    name,
    store: c.store,
    password: PASSWORD,
    kdf: FAST_KDF,
    join: token === undefined ? {} : { invitation: token },
  });
  c.homes.set(name, home);
  return home;
}

/** One sync round (push, then pull) on a home; the report of the pull. */
async function sync(home: UnlockedHome) {
  const s = await openSync(home);
  try {
    return (await s.engine.sync()).pull;
  } finally {
    await s.close();
  }
}

/** The namespace as a mount of this home would see it: folded under the policy the cluster state gives. */
async function view(home: UnlockedHome, ns: NamespaceId): Promise<Replica<NamespaceState>> {
  const r = await Replica.open(home.log, ns, home.keysFor(ns).eventKey, home.machine, namespaceProjection, {
    policy$: policyStream(home.cluster, ns),
  });
  await r.settled();
  return r;
}

async function names(home: UnlockedHome, ns: NamespaceId): Promise<string[]> {
  const r = await view(home, ns);
  try {
    return childrenOf(r.state, ROOT_INODE)
      .map(([n]) => n)
      .sort();
  } finally {
    r.close();
  }
}

async function refusalsOf(home: UnlockedHome, ns: NamespaceId) {
  if (ns === CLUSTER_NS) return [...home.cluster.state.refused.values()];
  const r = await view(home, ns);
  try {
    return [...r.state.refused.values()];
  } finally {
    r.close();
  }
}

/**
 * The modified client: appends an event of its choosing to the attacker's own log as pending, so its next push
 * posts it. `as` signs under another author id (with the attacker's key); `hlcMs` stamps any time.
 */
async function forge<K extends EventType>(
  attacker: UnlockedHome,
  ns: NamespaceId,
  type: K,
  body: EventBodies[K],
  opts: { as?: MachineId; hlcMs?: number } = {},
) {
  const author = opts.as ?? attacker.machine.id;
  const head = await attacker.log.headOf(ns, author);
  const at = opts.hlcMs ?? Date.now();
  const writer = new EventWriter(
    ns,
    author,
    attacker.machine.privateKey,
    attacker.keysFor(ns).eventKey,
    {
      seq: head?.seq ?? 0,
      prev: head === undefined ? null : Uint8Array.from(Buffer.from(head.id, 'hex')),
      clock: {},
      hlc: { wallMs: 0, counter: 0 },
    },
    () => at,
  );
  const emitted = writer.emit(type, body);
  await attacker.log.append([emitted.entry]);
  return emitted.signed;
}

async function makeCluster(): Promise<Cluster> {
  const root = await mkdtemp(join(tmpdir(), 'tgfs-trust-'));
  const c = { root, store: { kind: 'local' as const, dir: join(root, 'store') }, homes: new Map() };
  const a = await newHome(c, 'a');
  const invite = () => createInvitation(a, { role: 'node', admin: false, expiresInMs: 3_600_000 }).token;
  await newHome(c, 'b', invite());
  await newHome(c, 'm', invite());
  const created = async (name: string, mode: 'distributed' | 'master-replica' | 'standalone') => {
    const { id, nonce } = newNamespaceId(a.machine.id);
    await a.cluster.commit([
      {
        type: 'NamespaceCreated',
        body: {
          namespace: id,
          name,
          mode,
          conflict: 'last-write-wins',
          master: a.machine.id,
          createdAtMs: 1,
          nonce,
        },
      },
    ]);
    return id;
  };
  const ns = {
    shared: await created('shared', 'distributed'),
    mr: await created('mr', 'master-replica'),
    solo: await created('solo', 'standalone'),
    scratch: await created('scratch', 'distributed'),
  };
  for (const h of c.homes.values()) await sync(h);
  for (const h of c.homes.values()) await sync(h);
  return { ...c, a, ns };
}

async function closeCluster(c: Cluster) {
  for (const h of c.homes.values()) await h.close();
  await rm(c.root, { recursive: true, force: true });
}

describe('a member with the password and a modified client cannot forge its way in', () => {
  let c: Cluster;
  let a: UnlockedHome;
  let b: UnlockedHome;
  let m: UnlockedHome;
  before(async () => {
    c = await makeCluster();
    a = c.a;
    b = c.homes.get('b')!;
    m = c.homes.get('m')!;
  });
  after(() => closeCluster(c));

  test('a MachineJoined naming another machine with the attacker’s key is refused; the victim keeps signing', async () => {
    await forge(
      m,
      CLUSTER_NS,
      'MachineJoined',
      { machine: b.machine.id, name: 'b', publicKey: m.machine.publicKey, createdAtMs: 1 },
      // As early as its own chain allows.
      { hlcMs: ((await m.log.headOf(CLUSTER_NS, m.machine.id))?.hlc?.wallMs ?? 0) + 1 },
    );
    await sync(m);
    // The same, under the victim's own id (the attacker cannot make a key that id is derived from).
    await forge(
      m,
      CLUSTER_NS,
      'MachineJoined',
      { machine: b.machine.id, name: 'b', publicKey: m.machine.publicKey, createdAtMs: 1 },
      { as: b.machine.id },
    );
    await sync(m);
    for (const honest of [a, b]) {
      const pulled = await sync(honest);
      assert.deepEqual(
        pulled.rejected.map((r) => r.code),
        ['MACHINE_KEY_CONFLICT'],
        'the self-introduction under the victim’s id is rejected',
      );
      const refused = await refusalsOf(honest, CLUSTER_NS);
      assert.ok(
        refused.some((r) => r.code === 'FORGED_IDENTITY' && r.author === m.machine.id),
        'the join naming the victim is refused and reported, on the victim too',
      );
      assert.deepEqual(honest.cluster.state.members.get(b.machine.id)?.publicKey, b.machine.publicKey);
    }
    // The victim keeps signing, and is accepted.
    const rb = await view(b, c.ns.shared);
    await rb.commit([mkdir('by-b-after-the-attack')]);
    rb.close();
    await sync(b);
    await sync(a);
    assert.ok((await names(a, c.ns.shared)).includes('by-b-after-the-attack'));
  });

  test('events signed with the attacker’s key under the victim’s id are rejected as badly signed', async () => {
    await forge(m, c.ns.scratch, 'Create', mkdir('posing-as-b').body as EventBodies['Create'], {
      as: b.machine.id,
    });
    await sync(m);
    const pulled = await sync(a);
    assert.deepEqual(
      pulled.rejected.map((r) => r.code),
      ['EVENT_SIGNATURE_INVALID'],
    );
    assert.equal((await names(a, c.ns.scratch)).includes('posing-as-b'), false);
  });

  test('re-announcing a master-replica namespace with the attacker as master does not move the role', async () => {
    const head = await m.log.headOf(CLUSTER_NS, m.machine.id);
    await forge(
      m,
      CLUSTER_NS,
      'NamespaceCreated',
      {
        namespace: c.ns.mr,
        name: 'mr',
        mode: 'master-replica',
        conflict: 'last-write-wins',
        master: m.machine.id,
        createdAtMs: 1,
        nonce: new Uint8Array(16),
      },
      { hlcMs: (head?.hlc?.wallMs ?? 0) + 1 },
    );
    await sync(m);
    for (const honest of [a, b]) {
      await sync(honest);
      assert.equal(honest.cluster.state.namespaces.get(c.ns.mr)?.master, a.machine.id);
      assert.ok(
        honest.cluster.state.refused.has(`${m.machine.id}#${(head?.seq ?? 0) + 1}`),
        'the re-announcement is refused with its reason',
      );
    }
    // The attacker's own mount stays read-only, the master's does not.
    assert.equal(mayWrite(policyFor(m.cluster.state, c.ns.mr), m.machine.id), false);
    assert.equal(mayWrite(policyFor(a.cluster.state, c.ns.mr), a.machine.id), true);
  });

  test('a backdated event (its HLC goes back along the author’s chain) is rejected', async () => {
    await forge(m, c.ns.scratch, 'Create', mkdir('from-the-past-1').body as EventBodies['Create']);
    await sync(m);
    await sync(a);
    await forge(m, c.ns.scratch, 'Create', mkdir('from-the-past-2').body as EventBodies['Create'], {
      hlcMs: 5,
    });
    await sync(m);
    const pulled = await sync(a);
    assert.deepEqual(
      pulled.rejected.map((r) => r.code),
      ['EVENT_BACKDATED'],
    );
    const shown = await names(a, c.ns.scratch);
    assert.ok(shown.includes('from-the-past-1'));
    assert.equal(shown.includes('from-the-past-2'), false);
  });

  test('writes into a master-replica namespace made outside FUSE do not count on the master', async () => {
    const r = await view(m, c.ns.mr);
    await assert.rejects(r.commit([mkdir('via-the-intake')]), { code: 'READ_ONLY' });
    r.close();
    await forge(m, c.ns.mr, 'Create', mkdir('outside-fuse').body as EventBodies['Create']);
    await sync(m);
    await sync(a);
    assert.deepEqual(await names(a, c.ns.mr), []);
    const refused = await refusalsOf(a, c.ns.mr);
    assert.deepEqual(
      refused.map((x) => [x.code, x.author]),
      [['READ_ONLY', m.machine.id]],
    );
    // After an unmount (its checkpoint), `sync status` lists the refusal without the namespace open.
    const mounted = await view(a, c.ns.mr);
    await mounted.saveCheckpoint();
    mounted.close();
    const s = await openSync(a);
    const status = await syncStatus(a, s.state);
    await s.close();
    assert.ok(
      status.refused.some((x) => x.namespace === 'mr' && x.code === 'READ_ONLY' && x.author === m.machine.id),
    );
  });

  test('another machine’s standalone namespace can be neither mounted nor written into', async () => {
    await assert.rejects(
      openNamespaceSession(m, m.cluster.state.namespaces.get(c.ns.solo)!),
      (err: Error) => {
        assert.equal((err as { code?: string }).code, 'NOT_OWNER');
        assert.match(err.message, new RegExp(a.machine.id));
        return true;
      },
    );
    await forge(m, c.ns.solo, 'Create', mkdir('squatter').body as EventBodies['Create']);
    await sync(m);
    await sync(a);
    assert.deepEqual(await names(a, c.ns.solo), []);
    assert.equal((await refusalsOf(a, c.ns.solo))[0]?.code, 'NOT_OWNER');
    // The owner writes as before.
    const own = await view(a, c.ns.solo);
    await own.commit([mkdir('mine')]);
    own.close();
    assert.deepEqual(await names(a, c.ns.solo), ['mine']);
  });

  test('a removed machine’s earlier events keep counting, its later ones are refused everywhere', async () => {
    const r = await view(m, c.ns.shared);
    await r.commit([mkdir('before-removal')]);
    r.close();
    await sync(m);
    await sync(a);
    await removeMachine(a, m.machine.id);
    await sync(a);
    await forge(m, c.ns.shared, 'Create', mkdir('after-removal').body as EventBodies['Create']);
    await sync(m);
    for (const honest of [a, b]) {
      await sync(honest);
      const shown = await names(honest, c.ns.shared);
      assert.ok(shown.includes('before-removal'));
      assert.equal(shown.includes('after-removal'), false);
      assert.ok((await refusalsOf(honest, c.ns.shared)).some((x) => x.code === 'REMOVED'));
    }
    const report = (await memberReports(a)).find((x) => x.id === m.machine.id);
    assert.equal(report?.status, 'removed');
  });
});

describe('admission', () => {
  let c: Cluster;
  let a: UnlockedHome;
  before(async () => {
    c = await makeCluster();
    a = c.a;
  });
  after(() => closeCluster(c));

  const statusOn = (home: UnlockedHome, machine: MachineId) =>
    memberReports(home).then((r) => r.find((x) => x.id === machine)?.status);

  test('an invited machine is admitted; the same token used again admits nobody', async () => {
    const { token } = createInvitation(a, { role: 'replica', admin: false, expiresInMs: 60_000 });
    const first = await newHome(c, 'first', token);
    const second = await newHome(c, 'second', token);
    await sync(first);
    await sync(second);
    await sync(a);
    assert.equal(await statusOn(a, first.machine.id), 'admitted');
    assert.equal(await statusOn(a, second.machine.id), 'pending');
    const refusal = a.cluster.state.refused.get(`${second.machine.id}#1`);
    assert.equal(refusal?.code, 'INVITATION_REFUSED');
    assert.match(refusal?.reason ?? '', /already used/);
  });

  test('an expired invitation, or one signed by a non-admin, is refused and the join waits', async () => {
    const expired = parseInvitation(
      createInvitation(a, { role: 'node', admin: false, expiresInMs: 1_000, nowMs: Date.now() - 60_000 })
        .token,
    );
    const late = await newHome(c, 'late');
    await late.cluster.commit([
      {
        type: 'MachineJoined',
        body: {
          machine: late.machine.id,
          name: 'late',
          publicKey: late.machine.publicKey,
          createdAtMs: 1,
          invitation: invitationProofFor(expired, late.machine.id, late.machine.publicKey),
        },
      },
    ]);
    // b is a member, not an admin: it signs an offer by hand.
    const b = c.homes.get('b')!;
    const secret = new Uint8Array(32).fill(7);
    const offer = {
      creator: a.machine.id,
      invitePublicKey: publicKeyOf(secret),
      role: 'node' as const,
      admin: true,
      expiresAtMs: Date.now() + 60_000,
    };
    const byMember = {
      ...offer,
      cluster: 'default',
      issuer: b.machine.id,
      secret,
      issuerSignature: signBytes(offerBytes(offer), b.machine.privateKey),
    };
    const sneaky = await newHome(c, 'sneaky');
    await sneaky.cluster.commit([
      {
        type: 'MachineJoined',
        body: {
          machine: sneaky.machine.id,
          name: 'sneaky',
          publicKey: sneaky.machine.publicKey,
          createdAtMs: 1,
          invitation: invitationProofFor(byMember, sneaky.machine.id, sneaky.machine.publicKey),
        },
      },
    ]);
    await sync(late);
    await sync(sneaky);
    await sync(a);
    assert.equal(await statusOn(a, late.machine.id), 'pending');
    assert.match(a.cluster.state.refused.get(`${late.machine.id}#2`)?.reason ?? '', /expired/);
    assert.equal(await statusOn(a, sneaky.machine.id), 'pending');
    assert.match(a.cluster.state.refused.get(`${sneaky.machine.id}#2`)?.reason ?? '', /not an admin/);
  });

  test('a pending machine’s events are held until `cluster admit`, then applied', async () => {
    const newcomer = await newHome(c, 'newcomer');
    await sync(newcomer);
    await sync(newcomer);
    const r = await view(newcomer, c.ns.shared);
    // Its own mount is read-only while pending: a modified client writes anyway.
    await assert.rejects(r.commit([mkdir('early')]), { code: 'NOT_ADMITTED' });
    r.close();
    await forge(newcomer, c.ns.shared, 'Create', mkdir('early').body as EventBodies['Create']);
    await sync(newcomer);
    await sync(a);
    assert.equal((await names(a, c.ns.shared)).includes('early'), false);
    assert.equal(
      (await refusalsOf(a, c.ns.shared)).find((x) => x.author === newcomer.machine.id)?.code,
      'NOT_ADMITTED',
    );
    await admitMachine(a, newcomer.machine.id);
    assert.ok((await names(a, c.ns.shared)).includes('early'), 'held events count once admitted');
    await sync(a);
    await sync(newcomer);
    assert.equal(await statusOn(newcomer, newcomer.machine.id), 'admitted');
  });
});
