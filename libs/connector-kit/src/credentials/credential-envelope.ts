// Envelope encryption of an integration's credentials (API keys, OAuth
// tokens, client and webhook secrets): the secrets are encrypted with a
// fresh AES-256-GCM data key, and the data key is wrapped (AES-256-GCM too)
// by the current master key, whose id travels with the envelope. The
// integration id is bound in as associated data, so an envelope copied onto
// another integration does not open. Rotation re-wraps the data key under
// the new master key without touching the ciphertext of the secrets.
//
// Only envelopes are stored (events, read model); the clear secrets live in
// memory for the call that needs them.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KEY_BYTES, type MasterKeys } from './master-keys';

/** Credentials in clear: a flat JSON object of strings (api_key, access_token, expires_at...). */
export type Credentials = Record<string, string>;

export type CredentialEnvelope = {
  v: 1;
  /** The master key that wraps the data key. */
  kid: string;
  /** The data key, wrapped: base64 of iv(12) | tag(16) | ciphertext(32). */
  wrappedKey: string;
  /** The credentials: base64 of iv(12) | tag(16) | ciphertext. */
  secret: string;
};

const IV_BYTES = 12;
const TAG_BYTES = 16;

function seal(key: Buffer, plain: Buffer, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function open(key: Buffer, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

export class CredentialCipherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialCipherError';
  }
}

export function isCredentialEnvelope(value: unknown): value is CredentialEnvelope {
  const v = value as Partial<CredentialEnvelope> | null;
  return (
    typeof v === 'object' && v !== null && v.v === 1 && typeof v.kid === 'string' &&
    typeof v.wrappedKey === 'string' && typeof v.secret === 'string'
  );
}

export class CredentialCipher {
  constructor(private readonly keys: MasterKeys) {}

  encrypt(integrationId: string, credentials: Credentials): CredentialEnvelope {
    const dataKey = randomBytes(KEY_BYTES);
    const master = this.master(this.keys.currentId);
    return {
      v: 1,
      kid: this.keys.currentId,
      wrappedKey: seal(master, dataKey, `wrap:${integrationId}`),
      secret: seal(dataKey, Buffer.from(JSON.stringify(credentials)), `creds:${integrationId}`),
    };
  }

  decrypt(integrationId: string, envelope: CredentialEnvelope): Credentials {
    try {
      const dataKey = open(this.master(envelope.kid), envelope.wrappedKey, `wrap:${integrationId}`);
      return JSON.parse(open(dataKey, envelope.secret, `creds:${integrationId}`).toString('utf8')) as Credentials;
    } catch (error) {
      if (error instanceof CredentialCipherError) throw error;
      // Never the cause's text: it could quote what it failed on.
      throw new CredentialCipherError(`Credentials of integration ${integrationId} cannot be decrypted`);
    }
  }

  /** The same secrets with the data key wrapped by the current master key; null when already current. */
  rewrap(integrationId: string, envelope: CredentialEnvelope): CredentialEnvelope | null {
    if (envelope.kid === this.keys.currentId) return null;
    const dataKey = open(this.master(envelope.kid), envelope.wrappedKey, `wrap:${integrationId}`);
    return {
      ...envelope,
      kid: this.keys.currentId,
      wrappedKey: seal(this.master(this.keys.currentId), dataKey, `wrap:${integrationId}`),
    };
  }

  private master(id: string): Buffer {
    const key = this.keys.byId.get(id);
    if (!key) throw new CredentialCipherError(`Master key ${id} is not configured (${'CONNECTORS_MASTER_KEYS'})`);
    return key;
  }
}
