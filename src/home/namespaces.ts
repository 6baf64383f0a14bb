import { newNamespaceId } from '../crypto/ids.js';
import { TgfsError } from '../errors.js';
import type { ConflictStrategy, NamespaceMode } from '../events/types.js';
import { namespaceByName, namespacesByName } from '../projections/cluster/queries.js';
import type { UnlockedHome } from './home.js';
import { requireAdmitted } from './membership.js';

/** What `namespace list` shows of a namespace, and what `namespace create` reports. */
export interface NamespaceReport {
  readonly id: string;
  readonly name: string;
  readonly mode: NamespaceMode;
  readonly conflict: ConflictStrategy;
  readonly master: string;
  readonly createdAt: string;
}

export const NAMESPACE_MODES: readonly NamespaceMode[] = ['standalone', 'master-replica', 'distributed'];
export const CONFLICT_STRATEGIES: readonly ConflictStrategy[] = ['last-write-wins', 'manual', 'merge'];
const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function listNamespaces(home: UnlockedHome): NamespaceReport[] {
  return namespacesByName(home.cluster.state).map((n) => ({
    id: n.id,
    name: n.name,
    mode: n.mode,
    conflict: n.conflict,
    master: n.master,
    createdAt: new Date(n.createdAtMs).toISOString(),
  }));
}

/** Checks the request and commits the NamespaceCreated event (by the CLI, or by a mount asked over its socket). */
export async function createNamespace(
  home: UnlockedHome,
  request: { name: string; mode: string; conflict: string },
): Promise<NamespaceReport> {
  const { name } = request;
  if (!NAMESPACE_NAME.test(name)) {
    throw new TgfsError(
      'NAMESPACE_NAME_INVALID',
      `invalid namespace name ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-'`,
    );
  }
  const mode = request.mode as NamespaceMode;
  if (!NAMESPACE_MODES.includes(mode)) {
    throw new TgfsError(
      'INVALID_ARGUMENT',
      `unknown namespace type ${request.mode}: expected ${NAMESPACE_MODES.join(', ')}`,
    );
  }
  const conflict = request.conflict as ConflictStrategy;
  if (!CONFLICT_STRATEGIES.includes(conflict)) {
    throw new TgfsError(
      'INVALID_ARGUMENT',
      `unknown conflict strategy ${request.conflict}: expected ${CONFLICT_STRATEGIES.join(', ')}`,
    );
  }
  if (namespaceByName(home.cluster.state, name) !== undefined) {
    throw new TgfsError('NAMESPACE_EXISTS', `namespace ${name} already exists`);
  }
  requireAdmitted(home);
  const createdAtMs = Date.now();
  const { id, nonce } = newNamespaceId(home.machine.id);
  await home.cluster.commit([
    {
      type: 'NamespaceCreated',
      body: { namespace: id, name, mode, conflict, master: home.machine.id, createdAtMs, nonce },
    },
  ]);
  return {
    id,
    name,
    mode,
    conflict,
    master: home.machine.id,
    createdAt: new Date(createdAtMs).toISOString(),
  };
}
