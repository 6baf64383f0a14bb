import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The one place ids are minted. Inodes, namespaces, packs, snapshots and op messages are 16 random bytes as
 * 32 lower-case hex characters (design.md: bodies reference inodes by id); a machine is a UUID v4, as the
 * seed's `MachineIdentity` says. Random, never derived: two machines must not mint one id by accident.
 */
export function newRandomId(): string {
  return randomBytes(16).toString('hex');
}

export const newInodeId = newRandomId;
export const newNamespaceId = newRandomId;

export function newMachineId(): string {
  return randomUUID();
}
