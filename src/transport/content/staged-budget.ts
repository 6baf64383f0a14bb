import type { ChunkCache } from './chunk-cache.js';

/**
 * The bytes of staged chunks, which share the cache's budget (`cache.max_size_gb`) but are never evicted:
 * every change is passed on to the cache as its pinned bytes. Callers change it under the index lock, right
 * after the index batch that staged or unstaged those chunks.
 */
export class StagedBudget {
  private bytes = 0;

  constructor(private readonly cache: ChunkCache) {}

  async add(bytes: number): Promise<void> {
    this.bytes += bytes;
    await this.cache.setPinnedBytes(this.bytes);
  }

  /** Before `bytes` more are staged (or packed into a local store on the same disk): the cache gives way. */
  makeRoom(bytes: number): Promise<void> {
    return this.cache.makeRoom(bytes);
  }

  async release(bytes: number): Promise<void> {
    this.bytes -= bytes;
    await this.cache.setPinnedBytes(this.bytes);
  }
}
