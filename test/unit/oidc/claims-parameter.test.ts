/**
 * The claims parameter (OIDC Core 5.5) beyond oidc-provider's own checks: which members of the
 * wrong type are refused, which unknown ones are ignored, and how the consent page words the
 * claims a client asks for by name.
 */
import { errors } from 'oidc-provider';
import { translator } from '../../../src/i18n/translate.js';
import { CLAIMS_BY_SCOPE } from '../../../src/oidc/accounts.js';
import { requestedAcrValues } from '../../../src/oidc/acr-policy.js';
import { assertClaimsRequest } from '../../../src/oidc/claims-parameter.js';
import { claimDescriptions } from '../../../src/oidc/scopes.js';

const zh = translator('zh-Hant');
const en = translator('en');

describe('assertClaimsRequest', () => {
  it.each([
    [{ userinfo: [] }, 'claims.userinfo should be an object'],
    [{ id_token: 'acr' }, 'claims.id_token should be an object'],
    [{ userinfo: { name: true } }, 'claims.userinfo.name must be null or an object'],
    [{ userinfo: { name: ['essential'] } }, 'claims.userinfo.name must be null or an object'],
    [{ id_token: { email: { essential: 1 } } }, 'claims.id_token.email.essential must be a boolean'],
    [{ id_token: { email: { value: null } } }, 'claims.id_token.email.value must be a string, number or boolean'],
    [{ id_token: { email: { value: ['a'] } } }, 'claims.id_token.email.value must be a string, number or boolean'],
    [{ id_token: { email: { values: 'a' } } }, 'claims.id_token.email.values must be a non-empty array of strings, numbers or booleans'],
    [{ id_token: { email: { values: [] } } }, 'claims.id_token.email.values must be a non-empty array of strings, numbers or booleans'],
    [{ id_token: { email: { values: [{}] } } }, 'claims.id_token.email.values must be a non-empty array of strings, numbers or booleans'],
    [{ id_token: { acr: { essential: true, value: 2 } } }, 'claims.id_token.acr.value must be a string'],
    [{ id_token: { acr: { essential: true, values: ['phr', true] } } }, 'claims.id_token.acr.values must be a non-empty array of strings'],
  ])('refuses %j with invalid_request', (claims, description) => {
    expect(() => assertClaimsRequest(claims)).toThrow(errors.InvalidRequest);
    expect(() => assertClaimsRequest(claims)).toThrow(expect.objectContaining({ error: 'invalid_request', error_description: description }));
  });

  it.each([
    [{ userinfo: { name: null } }],
    [{ userinfo: { name: { essential: true } }, id_token: { email: { essential: false, value: 'a@example.com' } } }],
    [{ id_token: { acr: { essential: true, values: ['phr', 'urn:hkscc:ccass:acr:2fa'] } } }],
    [{ id_token: { auth_time: { essential: true } }, userinfo: { email: { values: ['a', 1, true] } } }],
    // Members not understood are ignored (5.5, 5.5.1), at the top level and in a claim's request.
    [{ userinfo: { name: { essential: true, purpose: 'to greet you' } }, verified_claims: 'anything' }],
  ])('accepts %j', (claims) => {
    expect(() => assertClaimsRequest(claims)).not.toThrow();
  });

  it('leaves requestedAcrValues the values of an essential acr only, together with acr_values', () => {
    const claims = (acr: unknown) => JSON.stringify({ id_token: { acr } });
    expect(requestedAcrValues({ claims: claims({ essential: true, values: ['phr', 'phrh'] }), acr_values: 'urn:hkscc:ccass:acr:2fa phr' })).toEqual(['urn:hkscc:ccass:acr:2fa', 'phr', 'phrh']);
    expect(requestedAcrValues({ claims: claims({ essential: true, value: 'phr' }) })).toEqual(['phr']);
    expect(requestedAcrValues({ claims: claims({ values: ['phr'] }) })).toEqual([]);
  });
});

describe('the consent page: claims asked for by name', () => {
  const protocol = new Set(['sub', 'acr', 'amr', 'auth_time']);
  const held = Object.values(CLAIMS_BY_SCOPE).flat().filter((claim) => !protocol.has(claim));

  it('words every claim this server holds, in both languages, never by its name', () => {
    for (const claim of held) {
      const [line] = claimDescriptions([claim]);
      expect({ claim, key: line?.key }).not.toEqual({ claim, key: 'pages.claim.other' });
      expect(en(line)).toMatch(/^your [A-Za-z ]+$/);
      expect(zh(line)).toMatch(/^您的/);
    }
    expect(claimDescriptions(['participant_id', 'user_id', 'name', 'email']).map((line) => zh(line))).toEqual(['您的參與者編號', '您的用戶編號', '您的姓名', '您的指定電郵地址']);
  });

  it('leaves out what says how the user logged in, and what a scope on the same page gives', () => {
    expect(claimDescriptions(['sub', 'sid', 'iss', 'acr', 'amr', 'auth_time'])).toEqual([]);
    expect(claimDescriptions(['name', 'email', 'user_id'], ['openid', 'profile']).map((line) => en(line))).toEqual(['your designated email address']);
    expect(claimDescriptions(['name', 'name'])).toHaveLength(1);
  });

  it('names a claim it does not hold in general words (none reaches the page: oidc-provider asks only for supported claims)', () => {
    expect(claimDescriptions(['phone_number', 'address']).map((line) => en(line))).toEqual(['other details of your user account']);
  });
});
