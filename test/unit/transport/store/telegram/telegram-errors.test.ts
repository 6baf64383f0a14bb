import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Api, errors } from 'telegram';
import { classifyTelegramError } from '../../../../../src/transport/store/telegram/telegram-errors.js';

const rpc = (code: number, message: string) =>
  errors.RPCMessageToError(
    new Api.RpcError({ errorCode: code, errorMessage: message }),
    new Api.updates.GetState(),
  );

test('flood waits are recognised with their seconds, premium ones included', () => {
  assert.ok(rpc(420, 'FLOOD_WAIT_17') instanceof errors.FloodWaitError);
  assert.deepEqual(classifyTelegramError(rpc(420, 'FLOOD_WAIT_17')), { kind: 'flood-wait', seconds: 17 });
  assert.deepEqual(classifyTelegramError(rpc(420, 'FLOOD_PREMIUM_WAIT_3')), {
    kind: 'flood-wait',
    seconds: 3,
  });
});

test('a revoked or unregistered session is permanent, a file reference refreshable', () => {
  for (const m of ['AUTH_KEY_UNREGISTERED', 'SESSION_REVOKED', 'USER_DEACTIVATED']) {
    assert.equal(classifyTelegramError(rpc(401, m)).kind, 'session-revoked', m);
  }
  assert.equal(classifyTelegramError(rpc(400, 'FILE_REFERENCE_EXPIRED')).kind, 'file-reference-expired');
});

test('network trouble and server errors are transient; refusals and bugs are not', () => {
  assert.equal(classifyTelegramError(new Error('Not connected')).kind, 'transient');
  assert.equal(classifyTelegramError('Maximum reconnection retries reached. Aborting!').kind, 'transient');
  assert.equal(classifyTelegramError(rpc(500, 'INTERNAL')).kind, 'transient');
  assert.equal(classifyTelegramError(rpc(-503, 'Timeout')).kind, 'transient');
  assert.equal(classifyTelegramError(rpc(400, 'LIMIT_INVALID')).kind, 'other');
  assert.equal(classifyTelegramError(new TypeError('x is undefined')).kind, 'other');
});
