import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { compareCanonical } from '../../../src/events/canonical-order.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../../src/projections/namespace/checkpoint.js';
import { evolve } from '../../../src/projections/namespace/evolve.js';
import { initialNamespaceState } from '../../../src/projections/namespace/state.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { schema1Log } from './schema1-log.js';

/** Computed by the build before schema 2 from `schema1Log()`: the fold of old logs must not move. */
const SCHEMA1_HASH = '08e6509eb70bb751ae8339cbb8e6c334178b282b3b90c2d31b1301629f9f7483';
const CHECKPOINT_V2 = new URL('../../../../test/fixtures/v1/namespace-checkpoint-v2.hex', import.meta.url);

describe('schema 1 logs', () => {
  test('fold to the state they folded to before schema 2, in canonical and in reverse order', () => {
    const events = schema1Log();
    assert.ok(events.every((e) => e.v === 1));
    const forward = [...events].sort(compareCanonical).reduce(evolve, initialNamespaceState());
    const backward = [...events]
      .sort((x, y) => compareCanonical(y, x))
      .reduce(evolve, initialNamespaceState());
    assert.equal(namespaceStateHash(forward), SCHEMA1_HASH);
    assert.equal(namespaceStateHash(backward), SCHEMA1_HASH);
  });

  test('a version 2 checkpoint written before hard links still opens, to the same state', () => {
    const bytes = Buffer.from(readFileSync(CHECKPOINT_V2, 'utf8').trim(), 'hex');
    const state = decodeCheckpoint(bytes);
    assert.equal(namespaceStateHash(state), SCHEMA1_HASH);
    assert.equal(namespaceStateHash(decodeCheckpoint(encodeCheckpoint(state))), SCHEMA1_HASH);
  });
});
