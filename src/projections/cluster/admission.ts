/**
 * The proofs a join can carry (docs/security.md, "Admission"), as bytes to sign and checks to run. Pure:
 * signatures and MACs are computations; minting tokens (randomness) is src/home/invitations.ts.
 *
 * - An invitation is an admin's signed offer: the cluster (its creator), the role and admin right granted, an
 *   expiry, and the public half of a one-time key. The secret half travels in the token only, and the redeemer
 *   signs its own id and key with it, so an invitation copied out of someone's join admits nobody else.
 * - A self-admission is an HMAC of the machine's id and key under a subkey of the current password: the
 *   recovery path of a rebuilt machine, which any holder of the password can take, audited as such.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { INVITATION_REDEEM_TAG, INVITATION_TAG } from '../../crypto/contexts.js';
import { verifyBytes } from '../../events/signing.js';
import type { InvitationProof, MachineId, MachineRole } from '../../events/types.js';

export interface InvitationOffer {
  /** The cluster's creator: an invitation of one cluster is worthless in another. */
  readonly creator: MachineId;
  readonly invitePublicKey: Uint8Array;
  readonly role: MachineRole;
  readonly admin: boolean;
  readonly expiresAtMs: number;
}

const encoder = new TextEncoder();

function tagged(tag: Uint8Array, text: string): Uint8Array {
  const body = encoder.encode(text);
  const out = new Uint8Array(tag.length + body.length);
  out.set(tag);
  out.set(body, tag.length);
  return out;
}

/** What the issuing admin signs. */
export function offerBytes(o: InvitationOffer): Uint8Array {
  return tagged(
    INVITATION_TAG,
    `${o.creator}\n${bytesToHex(o.invitePublicKey)}\n${o.role}\n${o.admin}\n${o.expiresAtMs}`,
  );
}

/** What the redeemer signs with the one-time key: its own binding. */
export function redeemBytes(machine: MachineId, publicKey: Uint8Array): Uint8Array {
  return tagged(INVITATION_REDEEM_TAG, `${machine}\n${bytesToHex(publicKey)}`);
}

/** Why an invitation does not admit its redeemer, or undefined when it does (the issuer's rights aside). */
export function invitationFault(
  proof: InvitationProof,
  ctx: {
    readonly creator: MachineId;
    readonly issuerKey: Uint8Array;
    readonly machine: MachineId;
    readonly publicKey: Uint8Array;
    readonly atMs: number;
  },
): string | undefined {
  const offer: InvitationOffer = { ...proof, creator: ctx.creator };
  if (!verifyBytes(offerBytes(offer), proof.issuerSignature, ctx.issuerKey)) {
    return `the invitation is not signed by ${proof.issuer} for this cluster`;
  }
  if (!verifyBytes(redeemBytes(ctx.machine, ctx.publicKey), proof.redeemSignature, proof.invitePublicKey)) {
    return 'the join does not hold the invitation’s one-time key (a copied invitation)';
  }
  if (ctx.atMs > proof.expiresAtMs) {
    return `the invitation expired at ${new Date(proof.expiresAtMs).toISOString()}`;
  }
  return undefined;
}

export function selfAdmissionProof(key: Uint8Array, machine: MachineId, publicKey: Uint8Array): Uint8Array {
  return hmac(sha256, key, encoder.encode(`${machine}\n${bytesToHex(publicKey)}`));
}

export function isSelfAdmissionValid(
  key: Uint8Array | undefined,
  machine: MachineId,
  publicKey: Uint8Array,
  proof: Uint8Array,
): boolean {
  if (key === undefined) return false;
  const expected = selfAdmissionProof(key, machine, publicKey);
  // Constant time is not needed: the proof is public once posted; equality is all that is asked.
  return expected.length === proof.length && expected.every((b, i) => b === proof[i]);
}
