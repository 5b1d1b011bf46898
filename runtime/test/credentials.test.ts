// Signed credentials: what a verifier accepts and the reason it gives for what it refuses; trusted keys that
// rotate by editing a file; a fleet's credentials file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentialProblem,
  generateIssuerKeys,
  issueCredential,
  loadIssuerKey,
  readCredentialsFile,
  TrustedKeys,
  type CredentialVerifierOptions,
} from '../src/identity/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-credentials-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const first = generateIssuerKeys(join(dir, 'first'));
const second = generateIssuerKeys(join(dir, 'second'));
const trusted = join(dir, 'trusted.pub');
writeFileSync(trusted, readFileSync(first.publicKeyPath));
const keys = new TrustedKeys(trusted);

function sign(issuer: { privateKeyPath: string }, id: string, extra: { region?: string; ttlSeconds?: number; now?: number } = {}): string {
  const { privateKey, publicKey } = loadIssuerKey(issuer.privateKeyPath);
  return issueCredential(privateKey, publicKey, { id, role: 'device', region: 'west', ...extra }).token;
}
const problem = (token: string | undefined, nodeId = 'device-1', options: Partial<CredentialVerifierOptions> = {}) =>
  credentialProblem({ info: { nodeId, role: 'device' }, token, sessionId: 's', remoteAddress: '' }, { keys, region: 'west', ...options });

test('a credential is accepted only for its id, role and region, unexpired, unrevoked, signed by a trusted key', async () => {
  const token = sign(first, 'device-1');
  assert.equal(await problem(token), undefined);
  assert.match((await problem(token, 'device-2')) ?? '', /credential is for device-1, not device-2/);
  assert.match((await problem(token, 'device-1', { region: 'east' })) ?? '', /region west, this edge serves east/);
  assert.match((await problem(sign(first, 'device-1', { ttlSeconds: 60, now: Date.now() - 120_000 }))) ?? '', /expired/);
  assert.match((await problem(sign(second, 'device-1'))) ?? '', /unknown issuer key/);
  const [head, claims, signature] = token.split('.');
  const forged = Buffer.from(Buffer.from(claims, 'base64url').toString().replace('device-1', 'device-9')).toString('base64url');
  assert.match((await problem(`${head}.${forged}.${signature}`, 'device-9')) ?? '', /signature does not verify/);
  assert.match((await problem('not-a-credential')) ?? '', /not a Strata credential/);
  assert.match((await problem(undefined)) ?? '', /no credential/);
  const revoked = { isRevoked: async (jti: string) => jti === JSON.parse(Buffer.from(claims, 'base64url').toString()).jti };
  assert.match((await problem(token, 'device-1', { revocations: revoked })) ?? '', /is revoked/);
});

test('a key added to the trusted file is used without a restart; one removed stops verifying', async () => {
  const token = sign(second, 'device-1');
  assert.match((await problem(token)) ?? '', /unknown issuer key/);
  appendFileSync(trusted, readFileSync(second.publicKeyPath));
  await new Promise((resolve) => setTimeout(resolve, 20)); // a new modification time
  assert.equal(await problem(token), undefined);
  writeFileSync(trusted, readFileSync(second.publicKeyPath));
  assert.match((await problem(sign(first, 'device-1'))) ?? '', /unknown issuer key/);
});

test('a credentials file maps ids to tokens and names the line of a malformed one; keygen refuses to overwrite', () => {
  const file = join(dir, 'fleet.creds');
  writeFileSync(file, `# fleet\n${sign(first, 'device-1')}\n\n${sign(first, 'device-2')}\n`);
  assert.deepEqual([...readCredentialsFile(file).keys()], ['device-1', 'device-2']);
  appendFileSync(file, 'strata1.e30.AAAA\n');
  assert.throws(() => readCredentialsFile(file), /fleet\.creds:5: credential claim id: /);
  assert.throws(() => readCredentialsFile(join(dir, 'missing')), /credentials file not found/);
  assert.throws(() => generateIssuerKeys(join(dir, 'first')), /refusing to overwrite an issuer key/);
});
