import { decode, encode } from 'cbor-x';
import { TgfsError } from '../errors.js';
import { FIRST_KEY_EPOCH, keyringAad, SUBKEY_LABELS } from './contexts.js';
import type { EpochKeys } from './epoch-box.js';
import { MASTER_KEY_BYTES } from './kdf.js';
import { deriveSubkey, homeKey, type NamespaceKeys, namespaceKeys } from './subkeys.js';
import { open, seal } from './xchacha.js';

/** A namespace's keys across the epochs a home holds: the current epoch seals, any held one opens. */
export interface NamespaceEpochKeys {
  readonly dataKey: EpochKeys;
  /** Names new chunks (the current epoch's): chunks of another epoch have other ids, so nothing dedupes across. */
  readonly chunkIdKey: Uint8Array;
  readonly eventKey: EpochKeys;
}

/**
 * The master keys of the key epochs a home holds: its current one (derived from the password it was unlocked
 * with) and the earlier ones, which a rotation keeps in a keyring sealed under the newer master key. A machine
 * that knows only an earlier password holds only the epochs up to that one.
 */
export class Keyring {
  private readonly subkeys = new Map<string, NamespaceKeys>();

  constructor(
    /** The epoch new objects are sealed under. */
    readonly epoch: number,
    private readonly masters: ReadonlyMap<number, Uint8Array>,
    /**
     * Machines admitted by proving an earlier epoch's password (a rebuild before a rotation): their proofs keep
     * counting under those epochs' keys; anyone else must prove the current password.
     */
    readonly earlierSelfAdmissions: readonly string[] = [],
  ) {
    if (!masters.has(epoch)) throw new TypeError(`a keyring holds its current epoch ${epoch}`);
  }

  /** A home of the first epoch, or one that never rotated. */
  static single(masterKey: Uint8Array, epoch = FIRST_KEY_EPOCH): Keyring {
    return new Keyring(epoch, new Map([[epoch, masterKey]]));
  }

  get masterKey(): Uint8Array {
    return this.masters.get(this.epoch)!;
  }

  masterKeyOf(epoch: number): Uint8Array | undefined {
    return this.masters.get(epoch);
  }

  /** Every epoch held, oldest first. */
  epochs(): number[] {
    return [...this.masters.keys()].sort((a, b) => a - b);
  }

  /** This keyring with a newer epoch on top (what a rotation makes). */
  withEpoch(epoch: number, masterKey: Uint8Array, earlierSelfAdmissions: readonly string[]): Keyring {
    if (epoch <= this.epoch) throw new TypeError(`epoch ${epoch} is not after ${this.epoch}`);
    return new Keyring(epoch, new Map([...this.masters, [epoch, masterKey]]), earlierSelfAdmissions);
  }

  namespaceKeys(ns: string): NamespaceEpochKeys {
    const of = (epoch: number): NamespaceKeys | undefined => {
      const master = this.masters.get(epoch);
      if (master === undefined) return undefined;
      const id = `${epoch}/${ns}`;
      let keys = this.subkeys.get(id);
      if (keys === undefined) {
        keys = namespaceKeys(master, ns);
        this.subkeys.set(id, keys);
      }
      return keys;
    };
    return {
      dataKey: { epoch: this.epoch, key: (e) => of(e)?.dataKey },
      chunkIdKey: of(this.epoch)!.chunkIdKey,
      eventKey: { epoch: this.epoch, key: (e) => of(e)?.eventKey },
    };
  }

  /** Seals secrets kept in the home (the machine's private key), under the current epoch. */
  homeKey(): Uint8Array {
    return homeKey(this.masterKey);
  }

  /**
   * The earlier epochs, sealed under the current master key: CBOR `{ v: 1, epoch, masters: [[epoch, key], …],
   * selfAdmitted: [machine, …] }`. Stored in the store's manifest of this epoch and in the home.
   */
  sealEarlier(): Uint8Array {
    const masters = this.epochs()
      .filter((e) => e !== this.epoch)
      .map((e) => [e, this.masters.get(e)!]);
    const plain = encode({ v: 1, epoch: this.epoch, masters, selfAdmitted: [...this.earlierSelfAdmissions] });
    return seal(keyringKey(this.masterKey), plain, keyringAad(this.epoch));
  }

  /**
   * The keyring of `epoch` from its master key and the sealed earlier epochs (`sealEarlier`); a keyring that
   * does not open with this key, or names another epoch, is HOME_DAMAGED.
   */
  static open(epoch: number, masterKey: Uint8Array, sealed: Uint8Array | undefined): Keyring {
    if (sealed === undefined) return Keyring.single(masterKey, epoch);
    let raw: { v?: unknown; epoch?: unknown; masters?: unknown; selfAdmitted?: unknown };
    try {
      raw = decode(open(keyringKey(masterKey), sealed, keyringAad(epoch)));
    } catch (cause) {
      throw new TgfsError('HOME_DAMAGED', `the keyring of key epoch ${epoch} does not open with its key`, {
        cause,
      });
    }
    const masters = new Map<number, Uint8Array>([[epoch, masterKey]]);
    if (raw?.v !== 1 || raw.epoch !== epoch || !Array.isArray(raw.masters)) {
      throw new TgfsError('HOME_DAMAGED', `the keyring of key epoch ${epoch} is malformed`);
    }
    for (const entry of raw.masters as unknown[]) {
      const [e, key] = Array.isArray(entry) ? entry : [];
      if (
        typeof e !== 'number' ||
        e >= epoch ||
        !(key instanceof Uint8Array) ||
        key.length !== MASTER_KEY_BYTES
      ) {
        throw new TgfsError('HOME_DAMAGED', `the keyring of key epoch ${epoch} holds a malformed entry`);
      }
      masters.set(e, key);
    }
    const selfAdmitted = Array.isArray(raw.selfAdmitted)
      ? raw.selfAdmitted.filter((m): m is string => typeof m === 'string')
      : [];
    return new Keyring(epoch, masters, selfAdmitted);
  }
}

function keyringKey(masterKey: Uint8Array): Uint8Array {
  return deriveSubkey(masterKey, SUBKEY_LABELS.keyring);
}
