// `strata credentials`: the operator's side of node identities. keygen makes the issuer key pair, issue
// signs credentials (one device, or a fleet into one file), revoke adds a credential id to the deployment's
// revocation set in Redis, inspect shows what a credential claims.

import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, redisLayout } from '@strata/shared';
import { addExamples } from '../console/help-text.js';

const ROLES = ['device', 'edge', 'coordinator'] as const;
type Role = (typeof ROLES)[number];

/** `30d`, `12h`, `90m`, `3600s` or plain seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new ConfigError(`--ttl must be a duration like 30d, 12h, 90m or 3600s, got "${text}"`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** The token in `value`, or in the file it names. */
function tokenArgument(value: string): string {
  return value.startsWith('strata1.') ? value : readFileSync(value, 'utf8').trim();
}

export function register(program: Command): void {
  const credentials = program.command('credentials').description('issue, revoke and inspect node credentials (signed identities)');

  const keygen = credentials
    .command('keygen')
    .description('make an issuer key pair: issuer.key (keep it secret) and issuer.pub (give it to the edges)')
    .requiredOption('--out <dir>', 'folder to write issuer.key and issuer.pub into')
    .action(async (options: { out: string }) => {
      const { generateIssuerKeys } = await import('@strata/runtime/identity');
      const keys = generateIssuerKeys(options.out);
      process.stdout.write(`issuer key ${keys.keyId}: ${keys.privateKeyPath} (secret), ${keys.publicKeyPath} (for --trusted-keys)\n`);
    });
  addExamples(keygen, ['strata credentials keygen --out ./issuer']);

  const issue = credentials
    .command('issue')
    .description('sign credentials: one node (--id), or a fleet (--id-prefix and --count) written one per line')
    .requiredOption('--key <file>', 'the issuer private key (issuer.key)')
    .option('--id <nodeId>', 'the node id the credential is for')
    .option('--id-prefix <prefix>', 'with --count: ids <prefix><first> .. <prefix><first + count - 1>')
    .option('--first <n>', 'first index of a fleet (default 1)', '1')
    .option('--count <n>', 'credentials to issue for a fleet')
    .option('--role <role>', `${ROLES.join(', ')} (default device)`, 'device')
    .option('--region <region>', "the node's region (devices: required; an edge accepts only its own region's)")
    .option('--ttl <duration>', 'validity, e.g. 30d or 12h (default: until revoked)')
    .option('--out <file>', 'write the credentials here (mode 0600) instead of standard output')
    .action(
      async (options: {
        key: string;
        id?: string;
        idPrefix?: string;
        first: string;
        count?: string;
        role: string;
        region?: string;
        ttl?: string;
        out?: string;
      }) => {
        const { issueCredential, loadIssuerKey } = await import('@strata/runtime/identity');
        if (!ROLES.includes(options.role as Role))
          throw new ConfigError(`--role must be one of ${ROLES.join(', ')}, got "${options.role}"`);
        if (options.role === 'device' && options.region === undefined) throw new ConfigError('--region is required for device credentials');
        const ids = fleetIds(options);
        const { privateKey, publicKey } = loadIssuerKey(options.key);
        const ttlSeconds = options.ttl === undefined ? undefined : parseDuration(options.ttl);
        const lines = ids.map((id) =>
          issueCredential(privateKey, publicKey, { id, role: options.role as Role, region: options.region, ttlSeconds }),
        );
        const text = `${lines.map((l) => l.token).join('\n')}\n`;
        if (options.out === undefined) process.stdout.write(text);
        else {
          writeFileSync(options.out, text, { mode: 0o600 });
          process.stderr.write(`${lines.length} credential(s) written to ${options.out}\n`);
        }
      },
    );
  addExamples(issue, [
    'strata credentials issue --key ./issuer/issuer.key --id device-1 --region eu-west --ttl 30d',
    'strata credentials issue --key ./issuer/issuer.key --id-prefix device- --count 50 --region eu-west --out fleet.creds',
  ]);

  const revoke = credentials
    .command('revoke <credential>')
    .description('revoke a credential (the token or a file holding it): edges refuse it at the next handshake')
    .option('--redis-url <url>', 'Redis of the deployment (default redis://127.0.0.1:6379, or STRATA_REDIS_URL)')
    .option('--redis-prefix <prefix>', 'key prefix of the deployment (default strata, or STRATA_REDIS_PREFIX)')
    .action(async (credential: string, options: { redisUrl?: string; redisPrefix?: string }) => {
      const { readCredential } = await import('@strata/runtime/identity');
      const { RedisRevocationList } = await import('@strata/runtime/redis');
      const { claims } = readCredential(tokenArgument(credential));
      const prefix = options.redisPrefix ?? process.env.STRATA_REDIS_PREFIX ?? 'strata';
      const list = new RedisRevocationList({
        url: options.redisUrl ?? process.env.STRATA_REDIS_URL,
        key: redisLayout({ url: '', prefix }).revokedCredentialsKey,
      });
      try {
        await list.revoke(claims.jti);
      } finally {
        await list.close();
      }
      process.stdout.write(`revoked credential ${claims.jti} of ${claims.role} ${claims.id}\n`);
    });
  addExamples(revoke, ['strata credentials revoke device-7.cred --redis-url redis://127.0.0.1:6379']);

  const inspect = credentials
    .command('inspect <credential>')
    .description('show what a credential claims (it does not check the signature)')
    .action(async (credential: string) => {
      const { readCredential } = await import('@strata/runtime/identity');
      process.stdout.write(`${JSON.stringify(readCredential(tokenArgument(credential)).claims, null, 2)}\n`);
    });
  addExamples(inspect, ['strata credentials inspect device-7.cred']);
}

function fleetIds(options: { id?: string; idPrefix?: string; first: string; count?: string }): string[] {
  if (options.id !== undefined) {
    if (options.idPrefix !== undefined || options.count !== undefined)
      throw new ConfigError('give --id, or --id-prefix with --count, not both');
    return [options.id];
  }
  if (options.idPrefix === undefined || options.count === undefined) throw new ConfigError('give --id, or --id-prefix with --count');
  const [first, count] = [Number(options.first), Number(options.count)];
  if (!Number.isSafeInteger(first) || first < 0) throw new ConfigError(`--first must be a non-negative integer, got "${options.first}"`);
  if (!Number.isSafeInteger(count) || count <= 0 || count > 1_000_000)
    throw new ConfigError(`--count must be an integer in 1..1000000, got "${options.count}"`);
  return Array.from({ length: count }, (_, i) => `${options.idPrefix}${first + i}`);
}
