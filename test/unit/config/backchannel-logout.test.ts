import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { clientMetadataFromConfig } from '../../../src/oidc/clients.js';
import { backchannelLogoutJobId, logoutsOfEnded } from '../../../src/oidc/backchannel-logout.js';

const client = (extra: Record<string, unknown>) => ({ client_id: 'terminal', client_secret: 'x'.repeat(32), redirect_uris: ['https://rp.example/callback'], ...extra });
const load = (extra: Record<string, unknown>, env: Record<string, string> = {}) => loadConfig({ raw: { oidc: { clients: [client(extra)] } }, env });

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('back-channel logout configuration', () => {
  it('passes the URI to oidc-provider, the session required unless said otherwise', () => {
    const [configured] = load({ backchannel_logout_uri: 'https://rp.example/backchannel-logout' }).oidc.clients;
    expect(clientMetadataFromConfig(configured!)).toMatchObject({ backchannel_logout_uri: 'https://rp.example/backchannel-logout', backchannel_logout_session_required: true });
    const [plain] = load({}).oidc.clients;
    expect(clientMetadataFromConfig(plain!)).not.toHaveProperty('backchannel_logout_uri');
  });

  it('accepts http only to localhost or 127.0.0.1, and never in production', () => {
    expect(load({ backchannel_logout_uri: 'http://127.0.0.1:8080/bcl' }).oidc.clients[0]?.backchannel_logout_uri).toBe('http://127.0.0.1:8080/bcl');
    expect(configError(() => load({ backchannel_logout_uri: 'http://rp.example/bcl' }))).toMatch(/backchannel_logout_uri.*must be https/);
    expect(configError(() => load({ backchannel_logout_uri: 'http://localhost.rp.example/bcl' }))).toMatch(/backchannel_logout_uri.*must be https/);
    expect(configError(() => load({ backchannel_logout_uri: 'http://localhost:8080/bcl' }, { NODE_ENV: 'production' }))).toMatch(/backchannel_logout_uri.*https URL in production/);
  });
});

describe('back-channel logout jobs', () => {
  it('are one per client and login: the same ending twice is the same job', () => {
    const logouts = logoutsOfEnded([
      { model: 'Session', payload: { accountId: 'u1', authorizations: { terminal: { sid: 's1' }, dms: { sid: 's2' } } } },
      { model: 'Session', payload: { authorizations: { terminal: { sid: 'no account' } } } },
    ]);
    expect(logouts).toEqual([
      { clientId: 'terminal', sub: 'u1', sid: 's1' },
      { clientId: 'dms', sub: 'u1', sid: 's2' },
    ]);
    expect(backchannelLogoutJobId(logouts[0]!)).toBe(backchannelLogoutJobId({ clientId: 'terminal', sub: 'u1', sid: 's1' }));
    expect(backchannelLogoutJobId(logouts[0]!)).not.toBe(backchannelLogoutJobId(logouts[1]!));
    expect(backchannelLogoutJobId(logouts[0]!)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('announce the login of a live token whose session is gone (offline_access), once with its session when both ended', () => {
    const refresh = (sid: string) => ({ model: 'RefreshToken', payload: { accountId: 'u1', clientId: 'terminal', sid } });
    // The session of s1 ended with its refresh token: one logout. s9's session had ended before: its token still names it.
    expect(logoutsOfEnded([{ model: 'Session', payload: { accountId: 'u1', authorizations: { terminal: { sid: 's1' } } } }, refresh('s1'), refresh('s9')])).toEqual([
      { clientId: 'terminal', sub: 'u1', sid: 's1' },
      { clientId: 'terminal', sub: 'u1', sid: 's9' },
    ]);
    // A token without a login to name, or of no account, announces nothing.
    expect(logoutsOfEnded([{ model: 'AccessToken', payload: { accountId: 'u1', clientId: 'terminal' } }, { model: 'RefreshToken', payload: { clientId: 'terminal', sid: 's2' } }])).toEqual([]);
  });
});
