/**
 * A deterministic stream of namespace commands shaped like a busy filesystem: directories and files created,
 * files written (small ones inline, large ones as extents), moved between directories and chmod/touched.
 * The same stream feeds the append benchmark (through EventWriter) and the in-memory rebuild (as events).
 */

import { type InodeId, ROOT_INODE } from '../src/events/types.js';
import type { Command } from '../src/projections/replica.js';

/** Share of each command, in percent: Create dir, Create file, Write, Move, SetAttr. */
const MIX = { dir: 5, file: 25, write: 45, move: 10, setattr: 15 } as const;
/** Upper bounds of each share on a 0–100 roll. */
const UPTO = {
  dir: MIX.dir,
  file: MIX.dir + MIX.file,
  write: MIX.dir + MIX.file + MIX.write,
  move: MIX.dir + MIX.file + MIX.write + MIX.move,
} as const;

const INLINE = new Uint8Array(200).fill(7);
const MTIME_BASE_MS = 1_700_000_000_000;

/** splitmix32: a fixed seed gives every run the same commands. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

function inodeId(n: number): InodeId {
  // Above the fixed ids of root (…01) and trash (…02).
  return (n + 16).toString(16).padStart(32, '0');
}

function chunkId(n: number): string {
  return n.toString(16).padStart(64, '0');
}

/** Yields `count` commands; every one is valid against the state the earlier ones built. */
export function* commandMix(count: number, seed = 42): Generator<Command> {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const dirs: InodeId[] = [ROOT_INODE];
  const files: InodeId[] = [];
  let next = 0;
  let chunks = 0;
  for (let i = 0; i < count; i++) {
    let r = rand() * 100;
    // The first commands must create something for the others to act on.
    if (files.length === 0) r = UPTO.dir;
    const mtimeMs = MTIME_BASE_MS + i;
    if (r < UPTO.dir) {
      const inode = inodeId(next++);
      yield {
        type: 'Create',
        body: {
          inode,
          parent: pick(dirs),
          name: `d${next}`,
          kind: 'dir',
          mode: 0o755,
          uid: 0,
          gid: 0,
          mtimeMs,
        },
      };
      dirs.push(inode);
    } else if (r < UPTO.file) {
      const inode = inodeId(next++);
      yield {
        type: 'Create',
        body: {
          inode,
          parent: pick(dirs),
          name: `f${next}.txt`,
          kind: 'file',
          mode: 0o644,
          uid: 0,
          gid: 0,
          mtimeMs,
        },
      };
      files.push(inode);
    } else if (r < UPTO.write) {
      const inode = pick(files);
      if (rand() < 0.6) {
        yield { type: 'Write', body: { inode, sizeBytes: INLINE.length, inline: INLINE, mtimeMs } };
      } else {
        const n = 1 + Math.floor(rand() * 4);
        const extents = Array.from({ length: n }, () => ({
          chunkId: chunkId(chunks++),
          lengthBytes: 1 << 20,
        }));
        yield { type: 'Write', body: { inode, sizeBytes: n << 20, extents, mtimeMs } };
      }
    } else if (r < UPTO.move) {
      const inode = pick(files);
      yield { type: 'Move', body: { inode, parent: pick(dirs), name: `m${i}.txt` } };
    } else {
      const inode = pick(files);
      yield { type: 'SetAttr', body: { inode, mode: rand() < 0.5 ? 0o600 : 0o644, mtimeMs } };
    }
  }
}
