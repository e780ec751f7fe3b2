/**
 * DMS as a client of this provider: the delegated administration pages log DAs in through
 * the same login as everyone (password + OTP only), as a confidential client registered by
 * the provider itself, not by configuration.
 */
import { createHmac } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';

export const DMS_CLIENT_ID = 'ccass-dms';

/**
 * DMS's client secret, derived from the cookie keys: every node derives the same one, no
 * operator has to manage it, and it never leaves the process (the exchange is in memory).
 */
export function dmsClientSecret(cookieKeys: readonly string[]): string {
  return createHmac('sha256', cookieKeys[0] as string).update('ccass-dms client secret').digest('base64url');
}

export function dmsRedirectUri(issuer: string): string {
  return new URL('/dms/callback', issuer).toString();
}

export function dmsClientMetadata(issuer: string, cookieKeys: readonly string[]): ClientMetadata {
  return {
    client_id: DMS_CLIENT_ID,
    client_name: 'CCASS DMS',
    'client_name#zh-Hant': '中央結算系統 DMS',
    client_secret: dmsClientSecret(cookieKeys),
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [dmsRedirectUri(issuer)],
    post_logout_redirect_uris: [new URL('/dms/logged-out', issuer).toString()],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    first_party: true,
    require_two_factor: true,
  };
}
