/**
 * The pages this server renders in place of oidc-provider's: which words an OAuth error gets
 * (by its code, never its English description), how the library's self-submitting form is
 * read back, what the consent page says each scope gives, and how a client's name and the
 * hotline are configured.
 */
import { loadConfig } from '../../../src/config/load.js';
import type { ClientConfig } from '../../../src/config/schema.js';
import { translator } from '../../../src/i18n/translate.js';
import { clientDisplayName, clientMetadataFromConfig } from '../../../src/oidc/clients.js';
import { readProviderFormPost } from '../../../src/oidc/form-post.js';
import { oidcErrorText } from '../../../src/oidc/pages.js';
import { scopeDescriptions } from '../../../src/oidc/scopes.js';

const zh = translator('zh-Hant');

/** The library's own form_post page, as it writes it (lib/response_modes/form_post.js). */
async function providerFormPost(action: string, inputs: Record<string, string>): Promise<string> {
  const { default: formPost } = (await import('oidc-provider/lib/response_modes/form_post.js' as string)) as {
    default: (ctx: unknown, action: string, inputs: Record<string, string>) => void;
  };
  const headers = new Map<string, string>([['content-security-policy', "script-src 'self'"]]);
  const ctx = { status: 200, type: '', body: '', response: { get: (name: string) => headers.get(name) ?? '' }, set: (name: string, value: string) => headers.set(name, value) };
  formPost(ctx, action, inputs);
  return ctx.body;
}

describe("oidc-provider's form-post page, read back", () => {
  it('gives the action and every field, unescaped', async () => {
    const body = await providerFormPost('https://rp.example/cb?a=1&b=2', { code: 'abc', state: `"<it's>&`, iss: 'https://auth.example' });
    expect(readProviderFormPost(body)).toEqual({
      action: 'https://rp.example/cb?a=1&b=2',
      fields: [
        { name: 'code', value: 'abc' },
        { name: 'state', value: `"<it's>&` },
        { name: 'iss', value: 'https://auth.example' },
      ],
    });
  });

  it('leaves any other body alone', () => {
    expect(readProviderFormPost('<!DOCTYPE html><html><head><title>Log in</title></head><body><form method="post" action="/x"></form></body></html>')).toBeUndefined();
    expect(readProviderFormPost({ error: 'invalid_request' })).toBeUndefined();
    expect(readProviderFormPost(undefined)).toBeUndefined();
  });
});

describe('error pages of authorization and logout requests', () => {
  it.each([
    ['authorization', 'invalid_client', '登入未能繼續', '並未在中央結算系統身分認證登記'],
    ['authorization', 'invalid_redirect_uri', '登入未能繼續', '並未為其登記的網址'],
    ['authorization', 'unsupported_response_type', '登入未能繼續', '無法接受的登入要求'],
    ['authorization', 'invalid_request', '登入未能繼續', '無法接受的登入要求'],
    ['resume', 'invalid_request', '登入未能繼續', '此登入已逾時'],
    ['end_session', 'invalid_request', '登出未能繼續', '您可能仍處於登入狀態'],
    ['end_session_confirm', 'invalid_request', '要求不獲接納', '此登出頁面已逾時或已使用'],
    ['userinfo', 'invalid_token', '要求不獲接納', '未能理解此要求'],
    [undefined, 'server_error', '發生錯誤', '我們的系統出現問題'],
  ])('%s %s: "%s"', (route, code, title, message) => {
    const text = oidcErrorText(route, code);
    expect(zh(text.title)).toBe(title);
    expect(zh(text.message)).toContain(message);
  });
});

describe('the consent page', () => {
  it('describes each scope in words, never by its name', () => {
    expect(scopeDescriptions(['openid', 'profile', 'email', 'offline_access']).map((line) => zh(line))).toEqual([
      '您的參與者編號及用戶編號，以及您的登入方式',
      '您的姓名',
      '您的指定電郵地址',
      '在您沒有使用時仍可持續存取，直至該存取權被撤銷',
    ]);
    expect(zh(scopeDescriptions(['trading'])[0])).toBe('名為「trading」的存取權');
  });
});

describe("a client's name in each language", () => {
  const client = (raw: Record<string, unknown>) => {
    const config = loadConfig({ env: {}, raw: { oidc: { clients: [{ client_id: 'ccass-terminal', redirect_uris: ['http://127.0.0.1:1/cb'], ...raw }] } } });
    const metadata = clientMetadataFromConfig(config.oidc.clients[0] as ClientConfig) as Record<string, unknown>;
    return { clientId: 'ccass-terminal', metadata: () => metadata };
  };

  it('uses client_name#zh-Hant on Chinese pages, and client_name (else the ID) otherwise', () => {
    const named = client({ client_name: 'CCASS Terminal', 'client_name#zh-Hant': '中央結算系統終端機' });
    expect(clientDisplayName(named, 'zh-Hant')).toBe('中央結算系統終端機');
    expect(clientDisplayName(named, 'en')).toBe('CCASS Terminal');
    expect(clientDisplayName(client({ client_name: 'CCASS Terminal' }), 'zh-Hant')).toBe('CCASS Terminal');
    expect(clientDisplayName(client({}), 'zh-Hant')).toBe('ccass-terminal');
  });

  it('refuses an empty name and a language it does not serve', () => {
    expect(() => client({ 'client_name#zh-Hant': '' })).toThrow(/client_name#zh-Hant/);
    expect(() => client({ 'client_name#zh-HK': '中央結算系統終端機' })).toThrow(/client_name#zh-HK/);
  });
});

describe('the CCASS Hotline', () => {
  it('is configuration, with a default and a check that it is a phone number', () => {
    expect(loadConfig({ env: {}, raw: {} }).support.hotline).toBe('+852 2979 7111');
    expect(loadConfig({ env: {}, raw: { support: { hotline: '(852) 2979 7111' } } }).support.hotline).toBe('(852) 2979 7111');
    expect(() => loadConfig({ env: {}, raw: { support: { hotline: 'call HKSCC' } } })).toThrow(/support\.hotline/);
  });
});
