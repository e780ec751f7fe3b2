/**
 * The provider's own clients, registered by the provider itself, not by configuration:
 * DMS, through which Delegated Administrators log in with the same login as everyone
 * (password + second factor), and the security page, which a user reaches only through a
 * login made for it there and then (prompt=login, max_age=0; ASVS 5.0 V7.5.1). Both are
 * confidential first-party clients that require two factors; they differ only in their name
 * and the paths they come back to. Their sign-in is first-party-sign-in.ts.
 */
import { createHmac } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';

export interface FirstPartyClient {
  id: string;
  names: { en: string; 'zh-Hant': string };
  /** Where the authorization code comes back to, under the issuer. */
  callbackPath: string;
  /** Where a sign-out at the provider ends, under the issuer. */
  signedOutPath: string;
}

export const DMS_CLIENT: FirstPartyClient = {
  id: 'ccass-dms',
  names: { en: 'CCASS DMS', 'zh-Hant': '中央結算系統 DMS' },
  callbackPath: '/dms/callback',
  signedOutPath: '/dms/logged-out',
};

export const ACCOUNT_CLIENT: FirstPartyClient = {
  id: 'ccass-account',
  names: { en: 'CCASS security page', 'zh-Hant': '中央結算系統保安設定' },
  callbackPath: '/account/callback',
  signedOutPath: '/account/signed-out',
};

/** Every first-party client, in the order the provider registers them. */
export const FIRST_PARTY_CLIENTS: readonly FirstPartyClient[] = [DMS_CLIENT, ACCOUNT_CLIENT];

export const DMS_CLIENT_ID = DMS_CLIENT.id;
export const ACCOUNT_CLIENT_ID = ACCOUNT_CLIENT.id;

/**
 * The client's secret, derived from the cookie keys: every node derives the same one, no
 * operator has to manage it, and it never leaves the process (the exchange is in memory).
 */
export function firstPartyClientSecret(client: FirstPartyClient, cookieKeys: readonly string[]): string {
  return createHmac('sha256', cookieKeys[0] as string).update(`${client.id} client secret`).digest('base64url');
}

export function firstPartyRedirectUri(client: FirstPartyClient, issuer: string): string {
  return new URL(client.callbackPath, issuer).toString();
}

export function firstPartySignedOutUri(client: FirstPartyClient, issuer: string): string {
  return new URL(client.signedOutPath, issuer).toString();
}

export function firstPartyClientMetadata(client: FirstPartyClient, issuer: string, cookieKeys: readonly string[]): ClientMetadata {
  return {
    client_id: client.id,
    client_name: client.names.en,
    'client_name#zh-Hant': client.names['zh-Hant'],
    client_secret: firstPartyClientSecret(client, cookieKeys),
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [firstPartyRedirectUri(client, issuer)],
    post_logout_redirect_uris: [firstPartySignedOutUri(client, issuer)],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    first_party: true,
    require_two_factor: true,
  };
}
