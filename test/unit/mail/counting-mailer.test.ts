import { countingMailer, type Mailer, type MailMessage } from '../../../src/mail/mailer.js';

describe('countingMailer', () => {
  const message: MailMessage = { kind: 'activation', to: 'a@example.com', subject: 's', text: 't' };

  it('counts a message sent, and a failure without swallowing it', async () => {
    const counted: string[] = [];
    const count = (kind: string, outcome: string) => counted.push(`${kind}:${outcome}`);
    const working: Mailer = { send: async () => undefined, close: () => undefined };
    const broken: Mailer = {
      send: async () => {
        throw new Error('connection refused');
      },
      close: () => undefined,
    };
    await countingMailer(working, count).send(message);
    await expect(countingMailer(broken, count).send({ ...message, kind: 'one-time-code' })).rejects.toThrow('connection refused');
    expect(counted).toEqual(['activation:sent', 'one-time-code:failed']);
  });
});
