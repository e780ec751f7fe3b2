/**
 * The security page as a client of this provider: a user reaches their own security page
 * (/account) only through a login made for it there and then (prompt=login, max_age=0; ASVS
 * 5.0 V7.5.1), as a confidential first-party client registered by the provider itself, like DMS.
 */
import { createHmac } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';

export const ACCOUNT_CLIENT_ID = 'ccass-account';

/** Derived from the cookie keys, as DMS's: every node has the same, nobody manages it, it never leaves the process. */
export function accountClientSecret(cookieKeys: readonly string[]): string {
  return createHmac('sha256', cookieKeys[0] as string).update('ccass-account client secret').digest('base64url');
}

export function accountRedirectUri(issuer: string): string {
  return new URL('/account/callback', issuer).toString();
}

export function accountClientMetadata(issuer: string, cookieKeys: readonly string[]): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'CCASS security page',
    'client_name#zh-Hant': '中央結算系統保安設定',
    client_secret: accountClientSecret(cookieKeys),
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [accountRedirectUri(issuer)],
    post_logout_redirect_uris: [new URL('/account/signed-out', issuer).toString()],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    first_party: true,
    require_two_factor: true,
  };
}
