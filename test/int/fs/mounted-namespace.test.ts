import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { OpLog } from '../../../src/events/op-log.js';
import { generateMachineKeyPair } from '../../../src/events/signing.js';
import {
  FALLOC_FL_KEEP_SIZE,
  INLINE_MAX_BYTES,
  MountedNamespace,
  type MountedNamespaceOptions,
} from '../../../src/fs/mounted-namespace.js';
import { MAX_FILE_BYTES } from '../../../src/fs/working-copy.js';
import { nodeOf, resolvePath } from '../../../src/projections/namespace/queries.js';
import type { NamespaceState } from '../../../src/projections/namespace/state.js';
import { namespaceProjection } from '../../../src/projections/projection-specs.js';
import { Replica } from '../../../src/projections/replica.js';
import type { ChunkStore } from '../../../src/transport/content/chunk-store.js';
import { MemoryMessageStore } from '../../../src/transport/store/memory-store.js';
import { newKeys, TestHome } from '../transport/content/content-fixtures.js';

const me = { id: randomUUID(), privateKey: generateMachineKeyPair().privateKey };
const eventKey = randomBytes(32);

/** One log append as the replica issued it: how many events, and whether it asked for the disk. */
interface Append {
  readonly events: number;
  readonly sync: boolean;
}

/** A namespace on a real op log and a real chunk store in a temp dir, as a mount would serve it. */
class Mounted {
  readonly appends: Append[] = [];
  private constructor(
    readonly dir: string,
    readonly home: TestHome,
    readonly chunks: ChunkStore,
    readonly log: OpLog,
    readonly replica: Replica<NamespaceState>,
    readonly fs: MountedNamespace,
  ) {}

  static async open(options: MountedNamespaceOptions = {}): Promise<Mounted> {
    const dir = await mkdtemp(join(tmpdir(), 'tgfs-mounted-'));
    const home = await TestHome.create();
    const keys = newKeys();
    const chunks = await home.openChunkStore(keys, new MemoryMessageStore());
    const { log, replica } = await openReplica(dir, keys.ns);
    const mounted = new Mounted(
      dir,
      home,
      chunks,
      log,
      replica,
      new MountedNamespace(replica, chunks, options),
    );
    mounted.recordAppends();
    return mounted;
  }

  /** The same namespace after a restart: the log reopened and replayed, a fresh filesystem over it. */
  async reopen(): Promise<MountedNamespace> {
    this.replica.close();
    await this.log.close();
    const { log, replica } = await openReplica(this.dir, this.replica.ns);
    Object.assign(this, { log, replica });
    return new MountedNamespace(replica, this.chunks);
  }

  async close(): Promise<void> {
    this.replica.close();
    await this.log.close();
    await this.chunks.close();
    await this.home.dispose();
    await rm(this.dir, { recursive: true, force: true });
  }

  private recordAppends(): void {
    const append = this.log.append.bind(this.log);
    this.log.append = (entries, opts = {}) => {
      this.appends.push({ events: entries.length, sync: opts.sync ?? true });
      return append(entries, opts);
    };
  }
}

async function openReplica(dir: string, ns: string) {
  const log = await OpLog.open(join(dir, 'log'));
  const replica = await Replica.open(log, ns, eventKey, me, namespaceProjection);
  return { log, replica };
}

let open: Mounted[] = [];
afterEach(async () => {
  for (const m of open) await m.close();
  open = [];
});

async function mount(options: MountedNamespaceOptions = {}): Promise<Mounted> {
  const m = await Mounted.open(options);
  open.push(m);
  return m;
}

async function writeFile(fs: MountedNamespace, path: string, bytes: Uint8Array): Promise<void> {
  const fd = await fs.create(path, 0o644, 1000, 1000);
  assert.equal(await fs.write(fd, Buffer.from(bytes), bytes.length, 0), bytes.length);
  await fs.release(fd);
}

async function readFile(fs: MountedNamespace, path: string): Promise<Buffer> {
  const fd = await fs.open(path, constants.O_RDONLY);
  const { sizeBytes } = await fs.getattr(path);
  const out = Buffer.alloc(sizeBytes + 10);
  const n = await fs.read(fd, out, out.length, 0);
  await fs.release(fd);
  return out.subarray(0, n);
}

const code = (c: string) => ({ name: 'TgfsError', code: c });

describe('MountedNamespace', () => {
  test('a created and written file reads back, is listed with its stat, and survives a restart', async () => {
    const m = await mount();
    const small = Buffer.from('hello, namespace\n');
    await m.fs.mkdir('/docs', 0o755, 1000, 1000);
    await writeFile(m.fs, '/docs/hello.txt', small);
    assert.deepEqual(await readFile(m.fs, '/docs/hello.txt'), small);
    const [entry, ...rest] = await m.fs.readdir('/docs');
    assert.deepEqual(rest, []);
    assert.equal(entry?.name, 'hello.txt');
    assert.equal(entry?.stat.sizeBytes, small.length);
    assert.equal(entry?.stat.mode, constants.S_IFREG | 0o644);
    assert.equal(entry?.stat.uid, 1000);
    const after = await m.reopen();
    assert.deepEqual(await readFile(after, '/docs/hello.txt'), small);
  });

  test('a file larger than the inline limit goes through the content store and reads back byte for byte', async () => {
    const m = await mount();
    const big = randomBytes(INLINE_MAX_BYTES * 25 + 123);
    const fd = await m.fs.create('/big.bin', 0o600, 0, 0);
    for (let at = 0; at < big.length; at += 4096) {
      const piece = big.subarray(at, at + 4096);
      await m.fs.write(fd, piece, piece.length, at);
    }
    await m.fs.release(fd);
    const node = nodeOf(m.replica.state, resolvePath(m.replica.state, '/big.bin')!);
    assert.equal(node?.inline, undefined);
    assert.ok((node?.extents?.length ?? 0) > 0);
    assert.deepEqual(await readFile(m.fs, '/big.bin'), big);
    assert.deepEqual(await readFile(await m.reopen(), '/big.bin'), big);
  });

  test('a rename moves the content to the new name and replaces a file already there', async () => {
    const m = await mount();
    await writeFile(m.fs, '/a.txt', Buffer.from('A'));
    await writeFile(m.fs, '/b.txt', Buffer.from('B'));
    await m.fs.rename('/a.txt', '/b.txt');
    await assert.rejects(m.fs.getattr('/a.txt'), code('NOT_FOUND'));
    assert.deepEqual(await readFile(m.fs, '/b.txt'), Buffer.from('A'));
    assert.deepEqual(
      (await m.fs.readdir('/')).map((e) => e.name),
      ['b.txt'],
    );
  });

  test('an unlinked file is gone by name, and a handle opened before keeps reading it', async () => {
    const m = await mount();
    await writeFile(m.fs, '/gone.txt', Buffer.from('still here'));
    const fd = await m.fs.open('/gone.txt', constants.O_RDONLY);
    await m.fs.unlink('/gone.txt');
    await assert.rejects(m.fs.getattr('/gone.txt'), code('NOT_FOUND'));
    const out = Buffer.alloc(32);
    assert.equal(out.subarray(0, await m.fs.read(fd, out, out.length, 0)).toString(), 'still here');
    await m.fs.release(fd);
  });

  test('two concurrent creates of one name: one succeeds, the other fails with EXISTS', async () => {
    const m = await mount();
    const results = await Promise.allSettled([
      m.fs.create('/race', 0o644, 0, 0),
      m.fs.create('/race', 0o644, 0, 0),
      m.fs.mkdir('/race', 0o755, 0, 0),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      assert.equal((r as PromiseRejectedResult).reason.code, 'EXISTS');
    }
    assert.deepEqual(
      (await m.fs.readdir('/')).map((e) => e.name),
      ['race'],
    );
  });

  test('a read-only mount refuses every change with READ_ONLY and still serves reads', async () => {
    const writable = await mount();
    await writeFile(writable.fs, '/kept.txt', Buffer.from('kept'));
    await writable.fs.setxattr('/kept.txt', 'user.tag', Buffer.from('x'));
    const fs = new MountedNamespace(writable.replica, writable.chunks, { readOnly: true });
    const refusals: Array<Promise<unknown>> = [
      fs.create('/new', 0o644, 0, 0),
      fs.mkdir('/dir', 0o755, 0, 0),
      fs.symlink('kept.txt', '/link', 0, 0),
      fs.unlink('/kept.txt'),
      fs.rmdir('/'),
      fs.rename('/kept.txt', '/moved.txt'),
      fs.chmod('/kept.txt', 0o600),
      fs.chown('/kept.txt', 1, 1),
      fs.utimens('/kept.txt', 1, 1),
      fs.setxattr('/kept.txt', 'user.a', Buffer.from('a')),
      fs.removexattr('/kept.txt', 'user.tag'),
      fs.truncate('/kept.txt', 0),
      fs.open('/kept.txt', constants.O_WRONLY),
      fs.open('/kept.txt', constants.O_RDWR),
    ];
    for (const refusal of refusals) await assert.rejects(refusal, code('READ_ONLY'));
    // A missing attribute is the more specific answer, ahead of EROFS.
    await assert.rejects(fs.removexattr('/kept.txt', 'user.none'), code('NO_XATTR'));
    assert.deepEqual(await readFile(fs, '/kept.txt'), Buffer.from('kept'));
    assert.deepEqual(await fs.listxattr('/kept.txt'), ['user.tag']);
  });

  test('writes are buffered until fsync, which returns only after the Write is synced to disk', async () => {
    const m = await mount();
    const fd = await m.fs.create('/durable.txt', 0o644, 0, 0);
    assert.deepEqual(m.appends, [{ events: 2, sync: false }], 'the create waits for no disk');
    await m.fs.write(fd, Buffer.from('important'), 9, 0);
    assert.equal(m.appends.length, 1, 'a write is buffered in the open file');
    await m.fs.fsync(fd);
    assert.deepEqual(m.appends.slice(1), [
      { events: 1, sync: false },
      { events: 0, sync: true },
    ]);
    assert.equal(nodeOf(m.replica.state, resolvePath(m.replica.state, '/durable.txt')!)?.sizeBytes, 9);
    await m.fs.release(fd);
    assert.equal(m.appends.length, 3, 'a release after fsync has nothing left to commit');
  });

  test('fsync of a file without buffered writes, and fsyncdir, sync the metadata changes before them', async () => {
    const m = await mount();
    const fd = await m.fs.create('/meta.txt', 0o644, 0, 0);
    await m.fs.chmod('/meta.txt', 0o600);
    assert.ok(m.appends.every((a) => !a.sync));
    await m.fs.fsync(fd);
    assert.deepEqual(m.appends.at(-1), { events: 0, sync: true });
    await m.fs.mkdir('/d', 0o755, 0, 0);
    await m.fs.fsyncdir('/');
    assert.deepEqual(m.appends.at(-1), { events: 0, sync: true });
    await m.fs.release(fd);
  });

  test('utimens on a file with buffered writes commits them first, so the time it sets is the one kept', async () => {
    const m = await mount();
    const fd = await m.fs.create('/stamped.txt', 0o644, 0, 0);
    await m.fs.write(fd, Buffer.from('abc'), 3, 0);
    await m.fs.utimens('/stamped.txt', 1_000, 2_000);
    assert.equal((await m.fs.getattr('/stamped.txt')).mtimeMs, 2_000);
    await m.fs.release(fd);
    assert.equal((await m.fs.getattr('/stamped.txt')).mtimeMs, 2_000);
    assert.equal((await m.fs.getattr('/stamped.txt')).sizeBytes, 3);
  });

  test('a new entry moves its directory’s mtime to the mount’s clock', async () => {
    const m = await mount({ now: () => 1_234_000 });
    await m.fs.mkdir('/d', 0o755, 0, 0);
    await m.fs.symlink('../x', '/d/l', 0, 0);
    assert.equal((await m.fs.getattr('/d')).mtimeMs, 1_234_000);
    assert.equal((await m.fs.getattr('/d/l')).mode, constants.S_IFLNK | 0o777);
    assert.equal(await m.fs.readlink('/d/l'), '../x');
  });

  test('the log announces new pending events once per commit (what schedules pushes), not for a rename onto itself', async () => {
    let commits = 0;
    const m = await mount();
    const sub = m.log.pendingAdded$.subscribe(() => commits++);
    await writeFile(m.fs, '/f', Buffer.from('x'));
    assert.equal(commits, 2, 'the create and the content');
    await m.fs.rename('/f', '/f');
    assert.equal(commits, 2);
    await m.fs.rename('/f', '/g');
    assert.equal(commits, 3);
    sub.unsubscribe();
  });

  test('POSIX errors from decide reach the caller unchanged', async () => {
    const m = await mount();
    await m.fs.mkdir('/d', 0o755, 0, 0);
    await writeFile(m.fs, '/d/f', Buffer.from('x'));
    await assert.rejects(m.fs.rmdir('/d'), code('NOT_EMPTY'));
    await assert.rejects(m.fs.unlink('/d'), code('IS_DIR'));
    await assert.rejects(m.fs.rename('/d', '/d/sub'), code('INVALID_ARGUMENT'));
    await assert.rejects(m.fs.truncate('/d', 0), code('IS_DIR'));
    await assert.rejects(m.fs.link('/d', '/h'), code('NOT_PERMITTED'));
    await assert.rejects(m.fs.link('/d/f', '/d'), code('EXISTS'));
    await assert.rejects(m.fs.link('/nope', '/h'), code('NOT_FOUND'));
    await assert.rejects(m.fs.open('/d', constants.O_WRONLY), code('IS_DIR'));
    await assert.rejects(m.fs.removexattr('/d/f', 'user.none'), code('NO_XATTR'));
    await assert.rejects(m.fs.create(`/${'n'.repeat(256)}`, 0o644, 0, 0), code('NAME_TOO_LONG'));
  });

  test('chown with -1 keeps that id; a file an earlier version stored with -1 shows its owner and can be fixed', async () => {
    const m = await mount({ owner: { uid: 1234, gid: 5678 } });
    await writeFile(m.fs, '/f', Buffer.from('x'));
    await m.fs.chown('/f', 0xffffffff, 42);
    let st = await m.fs.getattr('/f');
    assert.deepEqual([st.uid, st.gid], [1000, 42], 'chgrp leaves the owner alone');
    // What `chgrp` did before this fix: the "unchanged" id was stored as it came.
    const inode = resolvePath(m.replica.state, '/f')!;
    await m.replica.commit([{ type: 'SetAttr', body: { inode, uid: 0xffffffff, gid: 0xffffffff } }]);
    st = await m.fs.getattr('/f');
    assert.deepEqual([st.uid, st.gid], [1234, 5678], 'shown as the mounting user, never as 4294967295');
    await m.fs.chown('/f', 0, 0xffffffff);
    st = await m.fs.getattr('/f');
    assert.deepEqual([st.uid, st.gid], [0, 5678]);
    await m.fs.unlink('/f');
  });

  test('new entries belong to the calling uid; under a setgid directory they take its gid, a new directory its setgid', async () => {
    const m = await mount();
    await m.fs.mkdir('/team', 0o777, 0, 0);
    await m.fs.chown('/team', 0, 500);
    await m.fs.chmod('/team', 0o2777);
    await m.fs.release(await m.fs.create('/team/f', 0o644, 65534, 65534));
    await m.fs.mkdir('/team/sub', 0o755, 65534, 65534);
    await m.fs.symlink('f', '/team/l', 65534, 65534);
    await m.fs.mkdir('/plain', 0o755, 1000, 100);
    const shown = async (path: string) => {
      const st = await m.fs.getattr(path);
      return `${st.uid}:${st.gid} ${st.mode.toString(8)}`;
    };
    assert.equal(await shown('/team/f'), '65534:500 100644');
    assert.equal(await shown('/team/sub'), '65534:500 42755');
    assert.equal(await shown('/team/l'), '65534:500 120777');
    assert.equal(await shown('/plain'), '1000:100 40755');
  });

  test('a directory’s nlink is 2 plus its subdirectories', async () => {
    const m = await mount();
    await m.fs.mkdir('/d', 0o755, 0, 0);
    assert.equal((await m.fs.getattr('/d')).nlink, 2);
    await m.fs.mkdir('/d/a', 0o755, 0, 0);
    await m.fs.mkdir('/d/b', 0o755, 0, 0);
    await writeFile(m.fs, '/d/file', Buffer.from('x'));
    assert.equal((await m.fs.getattr('/d')).nlink, 4);
    assert.equal((await m.fs.getattr('/d/file')).nlink, 1);
    await m.fs.rmdir('/d/a');
    assert.equal((await m.fs.getattr('/d')).nlink, 3);
  });

  test('a truncate past the maximum file size (2^53 - 1) is FILE_TOO_BIG and leaves the file as it was', async () => {
    const m = await mount();
    await writeFile(m.fs, '/f', Buffer.from('keep me'));
    await assert.rejects(m.fs.truncate('/f', MAX_FILE_BYTES + 1), code('FILE_TOO_BIG'));
    const fd = await m.fs.open('/f', constants.O_RDWR);
    await assert.rejects(m.fs.ftruncate(fd, 2 ** 60), code('FILE_TOO_BIG'));
    await m.fs.release(fd);
    assert.deepEqual(await readFile(m.fs, '/f'), Buffer.from('keep me'));
  });

  test('a truncate to 10^15 bytes makes a sparse file: zeros to read, no bytes stored, and it survives a restart', async () => {
    const m = await mount();
    await writeFile(m.fs, '/sparse', Buffer.from('head'));
    await m.fs.truncate('/sparse', 999_999_999_999_999);
    const check = async (fs: MountedNamespace) => {
      const stat = await fs.getattr('/sparse');
      assert.equal(stat.sizeBytes, 999_999_999_999_999);
      assert.equal(stat.storedBytes, 4);
      const fd = await fs.open('/sparse', constants.O_RDONLY);
      const out = Buffer.alloc(8, 0xee);
      assert.equal(await fs.read(fd, out, 8, 0), 8);
      assert.deepEqual(out, Buffer.from('head\0\0\0\0'));
      assert.equal(await fs.read(fd, out, 8, 999_999_999_999_995), 4);
      assert.deepEqual(out.subarray(0, 4), Buffer.alloc(4));
      await fs.release(fd);
    };
    await check(m.fs);
    await check(await m.reopen());
  });

  test('a file larger than the dirty limit, written sequentially, spills and reads back identical after a restart', async () => {
    const limit = 256 * 1024;
    const m = await mount({ dirtyLimitBytes: limit });
    const big = randomBytes(3 * 1024 * 1024 + 77);
    const fd = await m.fs.create('/big', 0o644, 0, 0);
    for (let at = 0; at < big.length; at += 128 * 1024) {
      const piece = big.subarray(at, at + 128 * 1024);
      await m.fs.write(fd, piece, piece.length, at);
    }
    // Before any commit, most of it is staged in the home already.
    assert.ok((await m.chunks.pendingChunks()) > 0);
    await m.fs.release(fd);
    assert.deepEqual(await readFile(m.fs, '/big'), big);
    assert.deepEqual(await readFile(await m.reopen(), '/big'), big);
  });

  test('a written buffer is copied at once: the kernel may detach or reuse it while the write is pending', async () => {
    const m = await mount();
    const fd = await m.fs.create('/copied', 0o644, 0, 0);
    const kernel = Buffer.from('first');
    const pending = m.fs.write(fd, kernel, kernel.length, 0);
    kernel.fill(0);
    await pending;
    await m.fs.release(fd);
    assert.deepEqual(await readFile(m.fs, '/copied'), Buffer.from('first'));
  });

  test('a write far past the end leaves a hole that costs no stored bytes', async () => {
    const m = await mount();
    const fd = await m.fs.create('/tail', 0o644, 0, 0);
    const at = 10 * 1024 ** 3;
    await m.fs.write(fd, Buffer.from('end'), 3, at);
    await m.fs.release(fd);
    const stat = await m.fs.getattr('/tail');
    assert.equal(stat.sizeBytes, at + 3);
    assert.equal(stat.storedBytes, 3);
    const node = nodeOf(m.replica.state, resolvePath(m.replica.state, '/tail')!);
    assert.deepEqual(
      node?.extents?.map((e) => [e.lengthBytes, e.offsetBytes]),
      [[3, at]],
    );
    const back = await m.reopen();
    const rfd = await back.open('/tail', constants.O_RDONLY);
    const out = Buffer.alloc(8, 0xee);
    assert.equal(await back.read(rfd, out, 8, at - 5), 8);
    assert.deepEqual(out, Buffer.from('\0\0\0\0\0end'));
    await back.release(rfd);
  });

  test('fallocate mode 0 grows the file as a hole, KEEP_SIZE leaves it, other modes are NOT_SUPPORTED', async () => {
    const m = await mount();
    await writeFile(m.fs, '/f', Buffer.from('abc'));
    const fd = await m.fs.open('/f', constants.O_RDWR);
    await m.fs.fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 << 20);
    assert.equal((await m.fs.fgetattr('/f', fd)).sizeBytes, 3);
    await m.fs.fallocate(fd, 0, 1, 1);
    assert.equal((await m.fs.fgetattr('/f', fd)).sizeBytes, 3);
    await m.fs.fallocate(fd, 0, 4096, 1 << 20);
    assert.equal((await m.fs.fgetattr('/f', fd)).sizeBytes, 4096 + (1 << 20));
    // FALLOC_FL_PUNCH_HOLE | KEEP_SIZE, and ZERO_RANGE.
    await assert.rejects(m.fs.fallocate(fd, 3, 0, 10), code('NOT_SUPPORTED'));
    await assert.rejects(m.fs.fallocate(fd, 0x10, 0, 10), code('NOT_SUPPORTED'));
    await assert.rejects(m.fs.fallocate(fd, 0, 0, 0), code('INVALID_ARGUMENT'));
    await m.fs.release(fd);
    const stat = await m.fs.getattr('/f');
    assert.equal(stat.sizeBytes, 4096 + (1 << 20));
    assert.equal(stat.storedBytes, 3);
    const back = await readFile(await m.reopen(), '/f');
    assert.deepEqual(back.subarray(0, 3), Buffer.from('abc'));
    assert.ok(back.subarray(3).every((b) => b === 0));
  });

  test('ftruncate changes ctime at once, before the content is committed', async () => {
    // ctime comes from the events' HLC (this machine's clock); the truncate is stamped a minute later.
    let clock = Date.now();
    const m = await mount({ now: () => clock });
    await writeFile(m.fs, '/f', Buffer.from('0123456789'));
    const before = (await m.fs.getattr('/f')).ctimeMs;
    clock = Math.max(clock, before) + 60_000;
    const fd = await m.fs.open('/f', constants.O_RDWR);
    await m.fs.ftruncate(fd, 3);
    const during = await m.fs.fgetattr('/f', fd);
    assert.equal(during.sizeBytes, 3);
    assert.ok(during.ctimeMs > before, `ctime ${during.ctimeMs} moved past ${before}`);
    await m.fs.release(fd);
  });

  test('extended attributes set, read, list and remove', async () => {
    const m = await mount();
    await writeFile(m.fs, '/x', Buffer.from(''));
    await m.fs.setxattr('/x', 'user.b', Buffer.from('2'));
    await m.fs.setxattr('/x', 'user.a', Buffer.from('1'));
    assert.deepEqual(await m.fs.listxattr('/x'), ['user.a', 'user.b']);
    assert.deepEqual(await m.fs.getxattr('/x', 'user.a'), Buffer.from('1'));
    await m.fs.removexattr('/x', 'user.a');
    await assert.rejects(m.fs.getxattr('/x', 'user.a'), code('NO_XATTR'));
  });

  test('a hard link shares content, attributes and inode number; unlink of one name keeps the other', async () => {
    const m = await mount();
    await m.fs.mkdir('/d', 0o755, 0, 0);
    await writeFile(m.fs, '/a', Buffer.from('one'));
    await m.fs.link('/a', '/d/b');
    const [a, b] = [await m.fs.getattr('/a'), await m.fs.getattr('/d/b')];
    assert.equal(a.ino, b.ino);
    assert.deepEqual([a.nlink, b.nlink], [2, 2]);
    // Written through one name while open: the other name reads the same bytes at once.
    const fd = await m.fs.open('/d/b', constants.O_RDWR);
    await m.fs.write(fd, Buffer.from('two'), 3, 3);
    assert.deepEqual(await readFile(m.fs, '/a'), Buffer.from('onetwo'));
    await m.fs.release(fd);
    await m.fs.chmod('/a', 0o600);
    assert.equal((await m.fs.getattr('/d/b')).mode, constants.S_IFREG | 0o600);
    const listed = (await m.fs.readdir('/d'))[0]?.stat;
    assert.equal(listed?.ino, a.ino);
    assert.equal(listed?.nlink, 2);
    await m.fs.unlink('/a');
    assert.equal((await m.fs.getattr('/d/b')).nlink, 1);
    assert.deepEqual(await readFile(m.fs, '/d/b'), Buffer.from('onetwo'));
    await m.fs.rename('/d/b', '/c');
    const again = await m.reopen();
    assert.deepEqual(await readFile(again, '/c'), Buffer.from('onetwo'));
    assert.equal((await again.getattr('/c')).ino, a.ino, 'the inode number survives a restart');
  });

  test('an open file whose last name is unlinked shows no links and stays readable', async () => {
    const m = await mount();
    await writeFile(m.fs, '/a', Buffer.from('kept'));
    await m.fs.link('/a', '/b');
    const fd = await m.fs.open('/b', constants.O_RDONLY);
    await m.fs.unlink('/a');
    await m.fs.unlink('/b');
    assert.equal((await m.fs.fgetattr('/b', fd)).nlink, 0);
    const out = Buffer.alloc(4);
    assert.equal(await m.fs.read(fd, out, 4, 0), 4);
    assert.deepEqual(out, Buffer.from('kept'));
    await m.fs.release(fd);
    await assert.rejects(m.fs.getattr('/b'), code('NOT_FOUND'));
  });

  test('mknod makes FIFOs, device nodes and sockets with their type bits, rdev and no content', async () => {
    const m = await mount();
    await m.fs.mknod('/pipe', constants.S_IFIFO | 0o640, 0, 1000, 1000);
    await m.fs.mknod('/null', constants.S_IFCHR | 0o666, 0x103, 0, 0);
    await m.fs.mknod('/disk', constants.S_IFBLK | 0o660, 0x800, 0, 0);
    await m.fs.mknod('/sock', constants.S_IFSOCK | 0o755, 0, 1000, 1000);
    await m.fs.mknod('/plain', constants.S_IFREG | 0o644, 0, 1000, 1000);
    const st = async (p: string) => {
      const s = await m.fs.getattr(p);
      return [s.mode, s.rdev, s.sizeBytes, s.nlink];
    };
    assert.deepEqual(await st('/pipe'), [constants.S_IFIFO | 0o640, 0, 0, 1]);
    assert.deepEqual(await st('/null'), [constants.S_IFCHR | 0o666, 0x103, 0, 1]);
    assert.deepEqual(await st('/disk'), [constants.S_IFBLK | 0o660, 0x800, 0, 1]);
    assert.deepEqual(await st('/sock'), [constants.S_IFSOCK | 0o755, 0, 0, 1]);
    assert.deepEqual(await st('/plain'), [constants.S_IFREG | 0o644, 0, 0, 1]);
    const modes = (await m.fs.readdir('/')).map((e) => [e.name, e.stat.mode & constants.S_IFMT]);
    assert.deepEqual(modes, [
      ['disk', constants.S_IFBLK],
      ['null', constants.S_IFCHR],
      ['pipe', constants.S_IFIFO],
      ['plain', constants.S_IFREG],
      ['sock', constants.S_IFSOCK],
    ]);
    await assert.rejects(m.fs.mknod('/pipe', constants.S_IFIFO | 0o644, 0, 0, 0), code('EXISTS'));
    const again = await m.reopen();
    assert.equal((await again.getattr('/null')).rdev, 0x103);
    await again.link('/pipe', '/pipe2');
    assert.equal((await again.getattr('/pipe')).nlink, 2);
  });

  test('inode numbers are derived from inode ids: the root is 1, others 64-bit and the same after a restart', async () => {
    const m = await mount();
    await m.fs.mkdir('/d', 0o755, 0, 0);
    await writeFile(m.fs, '/d/f', Buffer.from('x'));
    const before = [await m.fs.getattr('/'), await m.fs.getattr('/d'), await m.fs.getattr('/d/f')].map(
      (s) => s.ino,
    );
    assert.equal(before[0], 1n);
    assert.notEqual(before[1], before[2]);
    const again = await m.reopen();
    // Looked up in another order than before: numbers no longer depend on first sight.
    const after = [await again.getattr('/d/f'), await again.getattr('/d'), await again.getattr('/')].map(
      (s) => s.ino,
    );
    assert.deepEqual(after.reverse(), before);
  });
});
