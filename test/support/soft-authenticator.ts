/**
 * A software FIDO2 authenticator for HTTP tests: an ES256 key pair (node:crypto) that answers
 * registration and authentication ceremonies as a browser would hand them to the server
 * (RegistrationResponseJSON with a 'none' attestation, AuthenticationResponseJSON), built
 * byte by byte as WebAuthn Level 3 §6.1 lays them out, independently of the server's code:
 *
 *   authenticatorData = rpIdHash (32) | flags (1) | signCount (4, big-endian)
 *                       [| attestedCredentialData = aaguid (16) | credIdLen (2) | credId | COSE key]
 *   signature         = ES256 (DER) over authenticatorData | SHA-256(clientDataJSON)
 *
 * Knobs (per authenticator or per response) change what an attacker or a broken key could:
 * the origin, the RP ID, the counter, user verification, the backup flags, the user handle.
 * Only CBOR comes from the library (isoCBOR, as the spec's canonical encoding).
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { AuthenticationResponseJSON, AuthenticatorTransport, RegistrationResponseJSON } from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { Queries } from '../../src/store/index.js';
import type { RegisteredWith, WebauthnCredentialRow } from '../../src/store/webauthn-credentials.js';

const FLAG = { userPresent: 0x01, userVerified: 0x04, backupEligible: 0x08, backedUp: 0x10, attestedData: 0x40 } as const;

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export interface AuthenticatorKnobs {
  /** Where the browser says the ceremony ran (clientDataJSON.origin). */
  origin?: string;
  /** Whose RP ID hash is in the authenticator data. */
  rpId?: string;
  /** The UV flag: the user gave a PIN or a biometric. */
  userVerified?: boolean;
  /** The UP flag (always set by a real authenticator; off to test the server's check). */
  userPresent?: boolean;
  /** BE and BS: a passkey that may be synced (multiDevice), and whether it is backed up now. */
  backupEligible?: boolean;
  backedUp?: boolean;
}

export interface AssertionKnobs extends AuthenticatorKnobs {
  /** The counter this assertion reports (default: the authenticator's next value). */
  counter?: number;
  /** The user handle to send: a user's id (UUID) as a passkey returns it, or null for none (a security key's allowCredentials flow). */
  userHandle?: string | null;
  /** clientDataJSON.type (default webauthn.get). */
  type?: string;
  /** Flip one bit of the signature. */
  tamperSignature?: boolean;
  /** Sign with this key instead of the authenticator's own (another key claiming this credential ID). */
  signingKey?: KeyObject;
}

export interface SoftAuthenticatorOptions extends AuthenticatorKnobs {
  /** The RP ID the credential is for (the issuer's host). */
  rpId: string;
  /** The page's origin (the issuer's origin). */
  origin: string;
  /** The signature counter before the first use (0: the next assertion says 1). */
  signCount?: number;
  /** Counts up with each assertion (false: always 0, as many passkeys do). */
  counts?: boolean;
  transports?: AuthenticatorTransport[];
  attachment?: 'platform' | 'cross-platform';
  aaguid?: Buffer;
  credentialId?: Buffer;
}

export class SoftAuthenticator {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly credentialId: Buffer;
  readonly aaguid: Buffer;
  /** The last counter value this authenticator reported (or started with). */
  signCount: number;
  readonly options: Required<Pick<SoftAuthenticatorOptions, 'rpId' | 'origin' | 'counts' | 'transports' | 'attachment'>> & AuthenticatorKnobs;

  constructor(options: SoftAuthenticatorOptions) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.credentialId = options.credentialId ?? randomBytes(32);
    this.aaguid = options.aaguid ?? Buffer.alloc(16);
    this.signCount = options.signCount ?? 0;
    this.options = { counts: true, transports: ['usb'], attachment: 'cross-platform', ...options };
  }

  get id(): string {
    return b64url(this.credentialId);
  }

  /** The credential's public key as a COSE_Key (RFC 9053 EC2, P-256, ES256): what the server stores. */
  cosePublicKey(): Uint8Array {
    const jwk = this.publicKey.export({ format: 'jwk' });
    const key = new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, new Uint8Array(Buffer.from(jwk.x as string, 'base64url'))],
      [-3, new Uint8Array(Buffer.from(jwk.y as string, 'base64url'))],
    ]);
    return isoCBOR.encode(key);
  }

  /** The private key as PKCS#8 DER in base64: what Chromium's WebAuthn.addCredential takes. */
  privateKeyPkcs8Base64(): string {
    return this.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
  }

  /** 'multiDevice' for a backup-eligible (synced) passkey, else 'singleDevice'. */
  get deviceType(): 'singleDevice' | 'multiDevice' {
    return this.options.backupEligible ? 'multiDevice' : 'singleDevice';
  }

  private flags(knobs: AuthenticatorKnobs, attested: boolean): number {
    const k = { ...this.options, ...knobs };
    let flags = 0;
    if (k.userPresent !== false) flags |= FLAG.userPresent;
    if (k.userVerified) flags |= FLAG.userVerified;
    if (k.backupEligible) flags |= FLAG.backupEligible;
    if (k.backedUp) flags |= FLAG.backedUp;
    if (attested) flags |= FLAG.attestedData;
    return flags;
  }

  private authenticatorData(knobs: AuthenticatorKnobs, counter: number, attestedCredentialData?: Buffer): Buffer {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    return Buffer.concat([sha256(knobs.rpId ?? this.options.rpId), Buffer.from([this.flags(knobs, attestedCredentialData !== undefined)]), counterBytes, attestedCredentialData ?? Buffer.alloc(0)]);
  }

  private clientData(type: string, challenge: string, knobs: AuthenticatorKnobs): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: knobs.origin ?? this.options.origin, crossOrigin: false }));
  }

  /** A 'none' attestation for `options.challenge` (PublicKeyCredentialCreationOptionsJSON, or just its challenge). */
  register(options: { challenge: string }, knobs: AuthenticatorKnobs = {}): RegistrationResponseJSON {
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([this.aaguid, idLength, this.credentialId, Buffer.from(this.cosePublicKey())]);
    const authData = this.authenticatorData(knobs, this.signCount, attested);
    type CBOR = Parameters<typeof isoCBOR.encode>[0];
    const attestationObject = isoCBOR.encode(new Map<string, CBOR>([
      ['fmt', 'none'],
      ['attStmt', new Map<string, CBOR>()],
      ['authData', new Uint8Array(authData)],
    ]));
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, knobs);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: this.options.transports,
      },
      clientExtensionResults: {},
      authenticatorAttachment: this.options.attachment,
    };
  }

  /**
   * An assertion for `options.challenge`. Moves the authenticator's counter (when it counts)
   * unless `counter` is given: a response can then be replayed, or sent with an old counter.
   */
  assert(options: { challenge: string }, knobs: AssertionKnobs = {}): AuthenticationResponseJSON {
    let counter: number;
    if (knobs.counter !== undefined) counter = knobs.counter;
    else if (this.options.counts) counter = this.signCount += 1;
    else counter = 0;
    const authData = this.authenticatorData(knobs, counter);
    const clientDataJSON = this.clientData(knobs.type ?? 'webauthn.get', options.challenge, knobs);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), { key: knobs.signingKey ?? this.privateKey, dsaEncoding: 'der' });
    if (knobs.tamperSignature) signature[signature.length - 1] = (signature[signature.length - 1] as number) ^ 0x01;
    const response: AuthenticationResponseJSON['response'] = {
      clientDataJSON: b64url(clientDataJSON),
      authenticatorData: b64url(authData),
      signature: b64url(signature),
    };
    if (knobs.userHandle) response.userHandle = userHandleOf(knobs.userHandle);
    return { id: this.id, rawId: this.id, type: 'public-key', response, clientExtensionResults: {}, authenticatorAttachment: this.options.attachment };
  }
}

/** The WebAuthn user handle of a user: base64url of the UTF-8 bytes of their id (a UUID), as the server issues it. */
export function userHandleOf(userId: string): string {
  return b64url(Buffer.from(userId, 'utf8'));
}

/** The public key a COSE_Key holds, checked independently of the server (for tests that read back what was stored). */
export function publicKeyOfCose(cose: Uint8Array): KeyObject {
  const map = isoCBOR.decodeFirst<Map<number, unknown>>(new Uint8Array(cose));
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(map.get(-2) as Uint8Array), y: b64url(map.get(-3) as Uint8Array) }, format: 'jwk' });
}

/**
 * Stores `authenticator`'s credential for `userId` directly in the store, as a registration
 * would have: the test then starts from "the user has a key".
 */
export async function giveKey(
  queries: Pick<Queries, 'webauthnCredentials'>,
  userId: string,
  authenticator: SoftAuthenticator,
  details: { name?: string; registeredWith?: RegisteredWith } = {},
): Promise<WebauthnCredentialRow> {
  const stored = await queries.webauthnCredentials.insert({
    user_id: userId,
    credential_id: authenticator.id,
    public_key: Buffer.from(authenticator.cosePublicKey()),
    sign_count: authenticator.signCount,
    transports: [...authenticator.options.transports],
    device_type: authenticator.deviceType,
    backed_up: authenticator.options.backedUp ?? false,
    aaguid: '00000000-0000-0000-0000-000000000000',
    name: details.name ?? 'Test key',
    registered_with: details.registeredWith ?? 'login',
  });
  if (!stored) throw new Error(`credential ${authenticator.id} is registered already`);
  return stored;
}
