import { TgfsError } from '../errors.js';
import type { MachineRole } from '../events/types.js';
import { clusterStatusView } from './cluster-views.js';
import type { UnlockedHome } from './home.js';
import {
  admitMachine,
  createInvitation,
  fingerprint,
  MACHINE_ROLES,
  memberReports,
  promoteMaster,
} from './membership.js';
import type { SyncSession } from './sync-service.js';

/**
 * The `cluster` commands a running mount answers over its control socket (it holds the home's log): the
 * reports, invitations, admissions and promotions. Each pulls first, as the command would, and a change is
 * pushed at once. Removal and key rotation stay with a stopped mount: they may change the password.
 */
export function clusterControlMethods(
  home: UnlockedHome,
  sync: SyncSession,
): Record<string, (params: unknown) => Promise<unknown>> {
  const fresh = async () => {
    await sync.engine.pull();
  };
  return {
    'cluster.status': async () => {
      await fresh();
      return clusterStatusView(home, sync.state);
    },
    'cluster.members': async () => {
      await fresh();
      return memberReports(home);
    },
    'cluster.invite': async (params) => {
      await fresh();
      const p = record(params);
      const role = p['role'];
      if (typeof role !== 'string' || !MACHINE_ROLES.includes(role as MachineRole)) {
        throw new TgfsError('INVALID_ARGUMENT', `cluster.invite needs a role (${MACHINE_ROLES.join(', ')})`);
      }
      return createInvitation(home, {
        role: role as MachineRole,
        admin: p['admin'] === true,
        expiresInMs: positive(p['expiresInMs'], 'expiresInMs'),
      });
    },
    'cluster.admit': async (params) => {
      await fresh();
      const m = await admitMachine(home, text(record(params)['machine'], 'machine'));
      await sync.engine.push();
      return { machine: m.machine, name: m.name, fingerprint: fingerprint(m.publicKey) };
    },
    'cluster.promote': async (params) => {
      await fresh();
      const p = record(params);
      await promoteMaster(home, text(p['machine'], 'machine'), text(p['namespace'], 'namespace'));
      await sync.engine.push();
      return {};
    },
  };
}

function record(params: unknown): Record<string, unknown> {
  return (params ?? {}) as Record<string, unknown>;
}

function text(v: unknown, key: string): string {
  if (typeof v !== 'string' || v === '') throw new TgfsError('INVALID_ARGUMENT', `a ${key} is needed`);
  return v;
}

function positive(v: unknown, key: string): number {
  if (typeof v !== 'number' || !(v > 0)) throw new TgfsError('INVALID_ARGUMENT', `${key} must be positive`);
  return v;
}
