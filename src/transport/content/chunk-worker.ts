import { parentPort } from 'node:worker_threads';
import { type CutPiece, cutAndName, sealPieces } from './chunk-job.js';
import type { FastCdcParams } from './fastcdc.js';

/**
 * Worker thread for ChunkWorkerPool: keeps each job's bytes between its `cut` and its `seal`/`drop`, so the
 * plaintext crosses the thread boundary once.
 */

export type WorkerRequest =
  | {
      readonly op: 'cut';
      readonly job: number;
      readonly data: Uint8Array;
      readonly params: FastCdcParams;
      readonly chunkIdKey: Uint8Array;
      readonly settledOnly: boolean;
    }
  | {
      readonly op: 'seal';
      readonly job: number;
      readonly pieces: readonly CutPiece[];
      readonly ns: string;
      readonly dataKey: Uint8Array;
      /** The key epoch `dataKey` belongs to. */
      readonly epoch: number;
    }
  | { readonly op: 'drop'; readonly job: number };

export type WorkerReply =
  | { readonly job: number; readonly ok: true; readonly value: unknown }
  | { readonly job: number; readonly ok: false; readonly message: string };

const jobs = new Map<number, Uint8Array>();
const port = parentPort;
if (port === null) throw new Error('chunk-worker.ts runs as a worker thread only');

port.on('message', (req: WorkerRequest) => {
  try {
    switch (req.op) {
      case 'cut': {
        jobs.set(req.job, req.data);
        port.postMessage({
          job: req.job,
          ok: true,
          value: cutAndName(req.data, req.params, req.chunkIdKey, req.settledOnly),
        });
        return;
      }
      case 'seal': {
        const data = jobs.get(req.job);
        jobs.delete(req.job);
        if (data === undefined) throw new Error(`chunk job ${req.job} is unknown`);
        // Transfer only buffers that own their whole ArrayBuffer: a small Buffer may sit in a shared pool slab.
        const sealed = sealPieces(data, req.pieces, req.ns, req.dataKey, req.epoch).map((s) =>
          s.byteOffset === 0 && s.buffer.byteLength === s.length ? s : new Uint8Array(s),
        );
        port.postMessage(
          { job: req.job, ok: true, value: sealed },
          sealed.map((s) => s.buffer as ArrayBuffer),
        );
        return;
      }
      case 'drop':
        jobs.delete(req.job);
        return;
    }
  } catch (err) {
    jobs.delete(req.job);
    port.postMessage({ job: req.job, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
