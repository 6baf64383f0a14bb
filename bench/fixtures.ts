/**
 * Inputs for the filesystem and store benchmarks, made once per work directory and outside every mount:
 * a random file (random so that no filesystem gains by compression or dedupe), a tree of small random files,
 * and a deterministic tar of real source trees from node_modules.
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { log, q, shOk } from './shell.js';

export const MIB = 1024 * 1024;

export async function randomFile(work: string, bytes: number): Promise<string> {
  const path = join(work, 'fixtures', `random-${bytes / MIB}MiB.bin`);
  if (existsSync(path)) return path;
  await mkdir(join(work, 'fixtures'), { recursive: true });
  log(`fixture: ${bytes / MIB} MiB of random bytes`);
  const out = createWriteStream(`${path}.tmp`);
  const block = Buffer.alloc(8 * MIB);
  for (let done = 0; done < bytes; done += block.length) {
    randomFillSync(block);
    const piece = block.subarray(0, Math.min(block.length, bytes - done));
    if (!out.write(Buffer.from(piece))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  await shOk(`mv ${q(`${path}.tmp`)} ${q(path)}`);
  return path;
}

/** `count` files of `bytes` random bytes, 1000 to a directory (d00/f0000 …). */
export async function smallTree(work: string, count: number, bytes = 4096): Promise<string> {
  const root = join(work, 'fixtures', `small-${count}`);
  // The marker sits beside the tree, not in it: `cp -r` must copy exactly `count` files.
  if (existsSync(`${root}.done`)) return root;
  log(`fixture: ${count} files of ${bytes} B`);
  const perDir = 1000;
  for (let d = 0; d * perDir < count; d++) {
    const dir = join(root, `d${String(d).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    const writes: Promise<void>[] = [];
    for (let f = d * perDir; f < Math.min(count, (d + 1) * perDir); f++) {
      writes.push(writeFile(join(dir, `f${String(f).padStart(5, '0')}.bin`), randomBytes(bytes)));
    }
    await Promise.all(writes);
  }
  await writeFile(`${root}.done`, '');
  return root;
}

/** Packages whose sources make the tar: about 3,900 entries of ordinary JS, maps and type declarations. */
const TAR_PACKAGES = ['rxjs', 'telegram', 'zod', 'yaml', 'clipanion', 'cbor-x', '@noble'];

export interface TarFixture {
  readonly path: string;
  readonly entries: number;
}

/**
 * A tar of the first `maxEntries` paths (sorted) of the packages above, with fixed owner and mtime, so two
 * runs on one checkout extract the same tree. Sorted order lists a directory before its contents.
 */
export async function tarFixture(work: string, maxEntries: number): Promise<TarFixture> {
  const dir = join(work, 'fixtures');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `tree-${maxEntries}.tar`);
  const list = join(dir, `tree-${maxEntries}.list`);
  if (!existsSync(path)) {
    log(`fixture: tar of up to ${maxEntries} entries from node_modules`);
    const nm = join(REPO_ROOT, 'node_modules');
    await shOk(
      `cd ${q(nm)} && find ${TAR_PACKAGES.map(q).join(' ')} | LC_ALL=C sort | head -n ${maxEntries} > ${q(list)} && ` +
        `tar --no-recursion --owner=0 --group=0 --numeric-owner --mtime=@1700000000 -cf ${q(path)} -T ${q(list)}`,
    );
  }
  const entries = Number((await shOk(`wc -l < ${q(list)}`)).stdout.trim());
  return { path, entries };
}
