/**
 * Removal with a new password: `cluster remove` plus a key rotation. Four real homes on one local store: the
 * admin `a`, a member `b` that switches later, the removed machine `c` that keeps only the old password, and a
 * rebuild with the new password. Events and content are written before and after the rotation, and every home is
 * asked what it can read.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { homePaths } from '../../../src/config/home-paths.js';
import { epochOfBox } from '../../../src/crypto/epoch-box.js';
import { newNamespaceId } from '../../../src/crypto/ids.js';
import { isTgfsError } from '../../../src/errors.js';
import { openRecordBox } from '../../../src/events/event-seal.js';
import { EventWriter } from '../../../src/events/event-writer.js';
import type { CreateBody, Extent, NamespaceId } from '../../../src/events/types.js';
import { initHome, type UnlockedHome, unlockHome } from '../../../src/home/home.js';
import { rotateKeyEpoch } from '../../../src/home/key-rotation.js';
import { createInvitation, removeMachine } from '../../../src/home/membership.js';
import { rebuildHome } from '../../../src/home/rebuild-home.js';
import { openSync } from '../../../src/home/sync-service.js';
import { nodeOf, resolvePath } from '../../../src/projections/namespace/queries.js';
import { policyStream } from '../../../src/projections/policy/policy-stream.js';
import { namespaceProjection } from '../../../src/projections/projection-specs.js';
import { Replica } from '../../../src/projections/replica.js';
import { decodePackIndex } from '../../../src/transport/content/pack.js';
import { parseCaption } from '../../../src/transport/store/captions.js';
import { listPages } from '../../../src/transport/store/list-pages.js';
import { findKeyEpochs } from '../../../src/transport/sync/cluster-manifest.js';
import { decodeOpMessage } from '../../../src/transport/sync/op-message.js';
import { mkdir, PASSWORD, smallFile } from './sync-fixtures.js';

const FAST_KDF = { memoryMiB: 8, iterations: 1 };
const NEW_PASSWORD = 'battery staple';
/** Content big enough for chunks and packs (inline content stops at 4 KiB). */
const big = (marker: string) => Buffer.from(`${marker}:`.repeat(2000));

let root: string;
let store: { kind: 'local'; dir: string };
const homes = new Map<string, UnlockedHome>();
let ns: NamespaceId;

async function sync(home: UnlockedHome) {
  const s = await openSync(home);
  try {
    return (await s.engine.sync()).pull;
  } finally {
    await s.close();
  }
}

async function open(home: UnlockedHome) {
  // Folded under the policy the cluster gives, as a mount of the home would.
  const r = await Replica.open(home.log, ns, home.keysFor(ns).eventKey, home.machine, namespaceProjection, {
    policy$: policyStream(home.cluster, ns),
  });
  await r.settled();
  return r;
}

/** A small file (inline in its event) and a big one (chunks in a pack) written by `home`. */
async function writeFiles(home: UnlockedHome, small: string, bigName: string) {
  const cs = await home.openChunkStore(ns, home.store);
  const extents = await cs.putFile(big(bigName));
  await cs.close();
  const r = await open(home);
  const inode = `${Buffer.from(bigName).toString('hex')}`.padEnd(32, '0').slice(0, 32);
  await r.commit([
    ...smallFile(small, `text of ${small}`),
    {
      type: 'Create',
      body: { inode, parent: rootOf(), name: bigName, kind: 'file', mode: 0o644, uid: 0, gid: 0, mtimeMs: 1 },
    },
    { type: 'Write', body: { inode, sizeBytes: big(bigName).length, extents, mtimeMs: 1 } },
  ]);
  r.close();
}

const rootOf = () => '00000000000000000000000000000001';

/** What `home` shows of a file: the inline text or the chunked content, read through its content store. */
async function readFileOf(home: UnlockedHome, name: string): Promise<string | undefined> {
  const r = await open(home);
  try {
    const inode = resolvePath(r.state, `/${name}`);
    if (inode === undefined) return undefined;
    const content = nodeOf(r.state, inode);
    if (content?.inline !== undefined) return Buffer.from(content.inline).toString();
    const cs = await home.openChunkStore(ns, home.store);
    try {
      const parts = await Promise.all((content?.extents ?? []).map((e: Extent) => cs.read(e)));
      return Buffer.concat(parts).toString();
    } finally {
      await cs.close();
    }
  } finally {
    r.close();
  }
}

async function reopen(name: string, password: string): Promise<UnlockedHome> {
  await homes.get(name)?.close();
  homes.delete(name);
  const home = await unlockHome(homePaths(join(root, name)), password);
  homes.set(name, home);
  return home;
}

/** The store's messages of one type in the namespace. */
async function messagesOf(type: 'op' | 'chunk') {
  const out: { id: number }[] = [];
  for await (const page of listPages(homes.get('a')!.store)) {
    for (const m of page) {
      const c = parseCaption(m.caption);
      if (c?.namespace === ns && c.type === type) out.push({ id: m.id, ...{ packId: c.id } });
    }
  }
  return out as { id: number; packId: string }[];
}

/** Every file under a home directory, as one buffer: what the machine has on disk. */
async function diskOf(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) parts.push(await readFile(join(e.parentPath, e.name)));
  }
  return Buffer.concat(parts);
}

describe('cluster remove with a new password: a key rotation', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tgfs-rotate-'));
    store = { kind: 'local', dir: join(root, 'store') };
    const init = async (name: string, token?: string) => {
      const home = await initHome(homePaths(join(root, name)), {
        name,
        store,
        password: PASSWORD,
        kdf: FAST_KDF,
        join: token === undefined ? {} : { invitation: token },
      });
      homes.set(name, home);
      return home;
    };
    const a = await init('a');
    const invite = () => createInvitation(a, { role: 'node', admin: false, expiresInMs: 3_600_000 }).token;
    await init('b', invite());
    await init('c', invite());
    const created = newNamespaceId(a.machine.id);
    ns = created.id;
    await a.cluster.commit([
      {
        type: 'NamespaceCreated',
        body: {
          namespace: ns,
          name: 'shared',
          mode: 'distributed',
          conflict: 'last-write-wins',
          master: a.machine.id,
          createdAtMs: 1,
          nonce: created.nonce,
        },
      },
    ]);
    for (let i = 0; i < 2; i++) for (const h of homes.values()) await sync(h);
    await writeFiles(a, 'old.txt', 'old-big');
    for (const h of homes.values()) await sync(h);
  });
  after(async () => {
    for (const h of homes.values()) await h.close();
    await rm(root, { recursive: true, force: true });
  });

  test('before the rotation every machine reads everything', async () => {
    for (const h of homes.values()) {
      assert.equal(await readFileOf(h, 'old.txt'), 'text of old.txt');
      assert.equal(await readFileOf(h, 'old-big'), big('old-big').toString());
    }
  });

  test('the admin removes c and rotates; its home seals under the new epoch and opens only with the new password', async () => {
    const a = homes.get('a')!;
    const c = homes.get('c')!;
    await sync(a);
    await removeMachine(a, c.machine.id);
    const r = await rotateKeyEpoch(a, NEW_PASSWORD);
    assert.equal(r.epoch, 1);
    await sync(a);
    const epochs = await findKeyEpochs(a.store);
    assert.deepEqual(
      epochs.map((e) => e.epoch),
      [0, 1],
    );
    await assert.rejects(reopen('a', PASSWORD), (err: unknown) => isTgfsError(err, 'WRONG_PASSWORD'));
    const a2 = await reopen('a', NEW_PASSWORD);
    assert.equal(a2.keyring.epoch, 1);
    assert.equal(await readFileOf(a2, 'old-big'), big('old-big').toString(), 'history through the keyring');
    await writeFiles(a2, 'new.txt', 'new-big');
    await sync(a2);
    assert.equal(await readFileOf(a2, 'new-big'), big('new-big').toString());
  });

  test('the removed machine, with the old password, cannot open the new events or content, and never holds their plaintext', async () => {
    const c = homes.get('c')!;
    const pull = await sync(c);
    const held = pull.held.filter((h) => h.code === 'KEY_EPOCH_UNKNOWN');
    assert.ok(held.length > 0, 'the new epoch’s op messages are held');
    assert.match(
      held[0]!.reason,
      /the cluster's password changed on \d{4}-\d\d-\d\d .*unlock with the new password/,
    );
    assert.equal(await readFileOf(c, 'new.txt'), undefined);
    assert.equal(await readFileOf(c, 'old.txt'), 'text of old.txt', 'what it had before stays readable');
    // Straight at the store, with the old password's keys.
    let newEvents = 0;
    for (const m of await messagesOf('op')) {
      const msg = decodeOpMessage(await c.store.read(m.id), m.id, ns);
      for (const [id, sealed] of msg.events) {
        if (epochOfBox(sealed) === 0) continue;
        newEvents++;
        assert.throws(
          () => openRecordBox(c.keysFor(ns).eventKey, ns, id, sealed),
          (err: unknown) => isTgfsError(err, 'KEY_EPOCH_UNKNOWN'),
        );
      }
    }
    assert.ok(newEvents > 0);
    let newPacks = 0;
    for (const m of await messagesOf('chunk')) {
      const bytes = await c.store.read(m.id);
      if (bytes[8] === 1) continue;
      newPacks++;
      assert.throws(
        () => decodePackIndex(bytes, c.keysFor(ns).dataKey, ns, m.packId),
        (err: unknown) => isTgfsError(err, 'KEY_EPOCH_UNKNOWN'),
      );
    }
    assert.ok(newPacks > 0);
    // A removed machine unlocking again with the old password still reads its own history, nothing newer.
    const c2 = await reopen('c', PASSWORD);
    assert.equal(c2.keyring.epoch, 0);
    await sync(c2);
    assert.equal(await readFileOf(c2, 'new-big'), undefined);
    const disk = await diskOf(join(root, 'c'));
    assert.equal(disk.includes('text of new.txt'), false);
    assert.equal(disk.includes('new-big:new-big:'), false);
  });

  test('the removed machine’s new events are refused everywhere', async () => {
    const c = homes.get('c')!;
    // Its own client refuses (REMOVED); a modified one signs and posts anyway.
    const head = await c.log.headOf(ns, c.machine.id);
    const writer = new EventWriter(ns, c.machine.id, c.machine.privateKey, c.keysFor(ns).eventKey, {
      seq: head?.seq ?? 0,
      prev: head === undefined ? null : Uint8Array.from(Buffer.from(head.id, 'hex')),
      clock: {},
      hlc: head?.hlc ?? { wallMs: 0, counter: 0 },
    });
    await c.log.append([writer.emit('Create', mkdir('after-removal').body as CreateBody).entry]);
    await sync(c);
    for (const name of ['a', 'b']) {
      const h = homes.get(name)!;
      await sync(h);
      const v = await open(h);
      try {
        assert.equal(resolvePath(v.state, '/after-removal'), undefined, name);
        assert.ok(
          [...v.state.refused.values()].some((x) => x.code === 'REMOVED'),
          name,
        );
      } finally {
        v.close();
      }
    }
  });

  test('a member with the old password holds the new events with the reason; with the new one it reads old and new', async () => {
    const b = homes.get('b')!;
    const pull = await sync(b);
    assert.ok(pull.held.some((h) => h.code === 'KEY_EPOCH_UNKNOWN'));
    assert.equal(await readFileOf(b, 'new.txt'), undefined);
    assert.equal(await readFileOf(b, 'old-big'), big('old-big').toString());
    const b2 = await reopen('b', NEW_PASSWORD);
    assert.equal(b2.keyring.epoch, 1);
    const after = await sync(b2);
    assert.equal(after.held.filter((h) => h.code === 'KEY_EPOCH_UNKNOWN').length, 0);
    assert.equal(await readFileOf(b2, 'new.txt'), 'text of new.txt');
    assert.equal(await readFileOf(b2, 'new-big'), big('new-big').toString());
    assert.equal(await readFileOf(b2, 'old.txt'), 'text of old.txt');
    // Switched for good: the old password no longer opens this home.
    await assert.rejects(reopen('b', PASSWORD), (err: unknown) => isTgfsError(err, 'WRONG_PASSWORD'));
    await reopen('b', NEW_PASSWORD);
  });

  test('a rebuild with the new password reads all history', async () => {
    const paths = homePaths(join(root, 'd'));
    await rebuildHome(paths, { store, password: NEW_PASSWORD, name: 'd' });
    const d = await unlockHome(paths, NEW_PASSWORD);
    homes.set('d', d);
    assert.equal(d.keyring.epoch, 1);
    for (const [file, text] of [
      ['old.txt', 'text of old.txt'],
      ['new.txt', 'text of new.txt'],
      ['old-big', big('old-big').toString()],
      ['new-big', big('new-big').toString()],
    ] as const) {
      assert.equal(await readFileOf(d, file), text, file);
    }
  });
});
