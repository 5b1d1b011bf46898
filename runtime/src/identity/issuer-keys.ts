// The issuer's Ed25519 key pair on disk (PEM), and the trusted public keys a daemon verifies credentials
// with: a file of one or more PEM public keys, re-read when it changes, so keys rotate without restarts.

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DataError } from '@strata/shared';
import { keyId } from './credential.js';
import { readIdentityFile } from './read-identity-file.js';

/** Writes `issuer.key` (private, mode 0600) and `issuer.pub` into `dir`; refuses to overwrite a key. */
export function generateIssuerKeys(dir: string): { privateKeyPath: string; publicKeyPath: string; keyId: string } {
  const privateKeyPath = join(dir, 'issuer.key');
  const publicKeyPath = join(dir, 'issuer.pub');
  if (existsSync(privateKeyPath)) throw new ConfigError(`${privateKeyPath} exists: refusing to overwrite an issuer key`);
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKeyPath, publicKeyPath, keyId: keyId(publicKey) };
}

/** The issuer's private key and the public key derived from it. */
export function loadIssuerKey(path: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const pem = readIdentityFile(path, 'issuer key');
  try {
    const privateKey = createPrivateKey(pem);
    return { privateKey, publicKey: createPublicKey(privateKey) };
  } catch (error) {
    throw new DataError(`${path}: not a PEM private key (${(error as Error).message})`);
  }
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g;

/** Public keys by key id, from a file of PEM blocks; re-read whenever the file changes. */
export class TrustedKeys {
  private keys = new Map<string, KeyObject>();
  /** Modification time and size of the file as last read ('' before the first read). */
  private loaded = '';

  constructor(private readonly path: string) {
    this.refresh();
    if (this.keys.size === 0) throw new DataError(`${path}: no PEM public key found`);
  }

  get(kid: string): KeyObject | undefined {
    this.refresh();
    return this.keys.get(kid);
  }

  private refresh(): void {
    let version: string;
    try {
      const stat = statSync(this.path);
      version = `${stat.mtimeMs}:${stat.size}`;
    } catch {
      if (this.loaded === '') throw new DataError(`${this.path}: trusted keys file not found`);
      return; // a file being replaced: keep the keys we had
    }
    if (version === this.loaded) return;
    const keys = new Map<string, KeyObject>();
    for (const block of readFileSync(this.path, 'utf8').match(PEM_BLOCK) ?? []) {
      try {
        const key = createPublicKey(block);
        keys.set(keyId(key), key);
      } catch (error) {
        throw new DataError(`${this.path}: a public key does not parse (${(error as Error).message})`);
      }
    }
    this.keys = keys;
    this.loaded = version;
  }
}
