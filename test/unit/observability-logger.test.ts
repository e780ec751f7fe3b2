import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.js';

describe('log redaction', () => {
  it('never writes passwords, codes, tokens, secrets or cookies', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const log = createLogger('info', sink as never);
    log.info(
      {
        password: 'hunter2-password',
        code: '123456',
        client_secret: 'client-secret-value',
        form: { password: 'nested-password', otp: '654321', token: 'nested-token' },
        req: { headers: { cookie: '_session=abc', authorization: 'Basic Zm9vOmJhcg==' } },
        user: 'ALICE',
      },
      'attempt',
    );
    const output = lines.join('');
    for (const secret of ['hunter2-password', '123456', 'client-secret-value', 'nested-password', '654321', 'nested-token', '_session=abc', 'Zm9vOmJhcg==']) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('ALICE');
    expect(output).toContain('[redacted]');
  });
});
