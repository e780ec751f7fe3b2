/**
 * Structured JSON logs (pino). Whatever might carry a credential is redacted by path, so a
 * careless `log.info({ req })` cannot leak a password, an OTP, a token or a cookie.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'password',
  'newPassword',
  'confirmPassword',
  'code',
  'otp',
  'token',
  'secret',
  'client_secret',
  'refresh_token',
  'access_token',
  'id_token',
  'cookie',
  'authorization',
  '*.password',
  '*.code',
  '*.otp',
  '*.token',
  '*.secret',
  '*.client_secret',
  '*.refresh_token',
  '*.access_token',
  '*.id_token',
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ccass-auth' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
