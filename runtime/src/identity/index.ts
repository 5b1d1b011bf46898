export {
  credentialClaimsSchema,
  issueCredential,
  keyId,
  readCredential,
  type CredentialClaims,
  type CredentialRequest,
} from './credential.js';
export { readCredentialsFile } from './credentials-file.js';
export { readIdentityFile } from './read-identity-file.js';
export {
  bearerProblem,
  credentialProblem,
  credentialVerifier,
  type CredentialVerifierOptions,
  type RevocationList,
} from './credential-verifier.js';
export { generateIssuerKeys, loadIssuerKey, TrustedKeys } from './issuer-keys.js';
