import { chmod, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { isTgfsError } from '../../errors.js';

/**
 * The running mount's control socket ($TGCRYPTFS_HOME/control.sock): LevelDB admits one process, so while a
 * mount holds the home, the CLI asks it instead of opening the home. JSON lines: a request
 * `{"id":1,"method":"sync.status","params":{}}`, a reply `{"id":1,"ok":true,"result":…}` or
 * `{"id":1,"ok":false,"error":{"code":"…","message":"…"}}`. The socket is 0600 inside the 0700 home.
 */

export type ControlHandler = (params: unknown) => Promise<unknown>;
export type ControlHandlers = Readonly<Record<string, ControlHandler>>;

export interface ControlServer {
  close(): Promise<void>;
}

export async function startControlServer(
  socketPath: string,
  handlers: ControlHandlers,
  log?: (line: string) => void,
): Promise<ControlServer> {
  await removeStaleSocket(socketPath);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== '') void answer(line).then((reply) => socket.write(`${JSON.stringify(reply)}\n`));
      }
    });
  });
  const answer = async (line: string): Promise<unknown> => {
    let id: unknown = null;
    try {
      const req = JSON.parse(line) as { id?: unknown; method?: unknown; params?: unknown };
      id = req.id ?? null;
      const handler = typeof req.method === 'string' ? handlers[req.method] : undefined;
      if (handler === undefined) {
        return {
          id,
          ok: false,
          error: { code: 'INVALID_ARGUMENT', message: `unknown method ${String(req.method)}` },
        };
      }
      return { id, ok: true, result: await handler(req.params ?? {}) };
    } catch (err) {
      if (!isTgfsError(err)) log?.(`control request failed: ${(err as Error).stack ?? String(err)}`);
      const code = isTgfsError(err) ? err.code : 'FAILED';
      return { id, ok: false, error: { code, message: (err as Error).message ?? String(err) } };
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600);
  return {
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(socketPath).catch(() => undefined);
    },
  };
}

/** A socket file nobody answers on is left over from a process that died: remove it so listen can bind. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const s = createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (!alive) await unlink(socketPath).catch(() => undefined);
}
