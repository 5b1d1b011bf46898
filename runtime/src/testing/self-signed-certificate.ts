// A self-signed certificate for 127.0.0.1, made with openssl as an operator would, for tests of TLS links.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Writes `<name>.crt` and `<name>.key` (EC P-256, one day, subjectAltName IP:127.0.0.1) into `dir`. */
export function selfSignedCertificate(dir: string, name: string): { certPath: string; keyPath: string } {
  const [certPath, keyPath] = [join(dir, `${name}.crt`), join(dir, `${name}.key`)];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'ignore' },
  );
  return { certPath, keyPath };
}
