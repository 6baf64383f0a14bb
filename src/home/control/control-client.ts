import { createConnection } from 'node:net';
import { TgfsError, type TgfsErrorCode } from '../../errors.js';

/** Nobody answers on the socket: no mount runs (a stale socket file), or it hangs. */
export class ControlUnavailableError extends TgfsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HOME_LOCKED', message, options);
  }
}

/**
 * Calls one method of a running mount over its control socket (see control-server.ts). A missing or dead
 * socket is HOME_LOCKED: the home is held by a process that does not answer.
 */
export function callControl(
  socketPath: string,
  method: string,
  params: unknown = {},
  timeoutMs = 10 * 60_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let buffered = '';
    let settled = false;
    const finish = (err: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err !== undefined) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(
      () =>
        finish(new ControlUnavailableError(`the process holding this home did not answer ${method} in time`)),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify({ id: 1, method, params })}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      try {
        const reply = JSON.parse(buffered.slice(0, nl)) as {
          ok: boolean;
          result?: unknown;
          error?: { code: string; message: string };
        };
        if (reply.ok) finish(undefined, reply.result);
        else
          finish(
            new TgfsError(
              (reply.error?.code ?? 'HOME_LOCKED') as TgfsErrorCode,
              reply.error?.message ?? 'failed',
            ),
          );
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.once('error', (cause) =>
      finish(
        new ControlUnavailableError(
          `this home is in use by another process and its control socket ${socketPath} does not answer (${(cause as NodeJS.ErrnoException).code ?? cause.message})`,
          { cause },
        ),
      ),
    );
    socket.once('close', () =>
      finish(new ControlUnavailableError(`control socket ${socketPath} closed without a reply`)),
    );
  });
}
