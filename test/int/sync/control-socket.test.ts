import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TgfsError } from '../../../src/errors.js';
import { ControlUnavailableError, callControl } from '../../../src/home/control/control-client.js';
import { startControlServer } from '../../../src/home/control/control-server.js';

test('the control socket answers calls, passes errors with their code, and replaces a stale socket file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tgfs-ctl-'));
  const socket = join(dir, 'control.sock');
  try {
    await assert.rejects(
      callControl(socket, 'sync.status'),
      ControlUnavailableError,
      'no server: unavailable',
    );
    await writeFile(socket, 'left over by a crashed mount');
    const server = await startControlServer(socket, {
      'sync.status': async () => ({ pending: 3 }),
      'sync.now': async (params) => {
        throw new TgfsError('STORE_UNAVAILABLE', `store down (${JSON.stringify(params)})`);
      },
    });
    try {
      assert.deepEqual(await callControl(socket, 'sync.status'), { pending: 3 });
      await assert.rejects(callControl(socket, 'sync.now', { x: 1 }), (err: TgfsError) => {
        assert.equal(err.code, 'STORE_UNAVAILABLE');
        assert.equal(err.message, 'store down ({"x":1})');
        assert.ok(!(err instanceof ControlUnavailableError));
        return true;
      });
      await assert.rejects(callControl(socket, 'nope'), /unknown method nope/);
    } finally {
      await server.close();
    }
    await assert.rejects(callControl(socket, 'sync.status'), ControlUnavailableError, 'closed: unavailable');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
