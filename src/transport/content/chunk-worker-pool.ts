import { Worker } from 'node:worker_threads';
import type { CutPiece, CutResult } from './chunk-job.js';
import type { WorkerReply, WorkerRequest } from './chunk-worker.js';
import type { FastCdcParams } from './fastcdc.js';

/** A job the worker has cut and named, holding its bytes until it is sealed or dropped. */
export interface CutJob extends CutResult {
  readonly job: number;
}

/**
 * One worker thread that cuts, names and seals content off the main thread, which serves FUSE: a large
 * commit no longer stalls every other file operation, and spilling overlaps with the writes arriving.
 */
export class ChunkWorkerPool {
  private readonly worker: Worker;
  private nextJob = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private failed: Error | undefined;

  constructor() {
    this.worker = new Worker(new URL('./chunk-worker.js', import.meta.url));
    // An idle worker must not keep a finished command alive.
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      const w = this.waiting.get(reply.job);
      if (w === undefined) return;
      this.waiting.delete(reply.job);
      if (reply.ok) w.resolve(reply.value);
      else w.reject(new Error(`chunk worker: ${reply.message}`));
    });
    const fail = (err: Error) => {
      this.failed = err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`chunk worker exited with code ${code}`)));
  }

  /** Cuts and names a copy of `data` (the caller's buffer stays the caller's). */
  async cut(
    data: Uint8Array,
    params: FastCdcParams,
    chunkIdKey: Uint8Array,
    settledOnly: boolean,
  ): Promise<CutJob> {
    const job = this.nextJob++;
    // A copy with an ArrayBuffer of its own, so transferring it detaches nothing else.
    const copy = new Uint8Array(data);
    const result = (await this.request({ op: 'cut', job, data: copy, params, chunkIdKey, settledOnly }, [
      copy.buffer as ArrayBuffer,
    ])) as CutResult;
    return { job, ...result };
  }

  /** Seals the given pieces of a cut job and forgets its bytes. */
  async seal(
    job: number,
    pieces: readonly CutPiece[],
    ns: string,
    dataKey: Uint8Array,
    epoch: number,
  ): Promise<Uint8Array[]> {
    if (pieces.length === 0) {
      this.drop(job);
      return [];
    }
    return (await this.request({ op: 'seal', job, pieces, ns, dataKey, epoch })) as Uint8Array[];
  }

  drop(job: number): void {
    if (this.failed === undefined) this.worker.postMessage({ op: 'drop', job } satisfies WorkerRequest);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private request(req: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.set(req.job, { resolve, reject });
      this.worker.postMessage(req, transfer);
    });
  }
}
