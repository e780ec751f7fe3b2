/**
 * The security page's views and the data each takes (see web/views.ts). Whatever the user
 * reads is a catalogue message (`Translatable`); raw strings are only what is no language:
 * names the user typed, addresses, IDs, URLs, form values. Times are Dates, written by the
 * page in Hong Kong time (`hkTime`).
 */
import type { Translatable } from '../i18n/translate.js';

/** What every security page carries: whose it is, the session's CSRF token and when the session ends. */
export interface AccountFrame {
  account: { participantId: string; userId: string; csrf: string; expiresAt: Date };
}

export interface AccountKeyView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  synced: boolean;
}

export interface AccountSessionView {
  uid: string;
  loginAt: Date | null;
  lastActiveAt: Date | null;
  ip: string | null;
  /** The clients logged in to through it, by their names in the page's language. */
  clients: string;
  current: boolean;
}

export interface AccountOverviewView extends AccountFrame {
  displayName: string;
  /**
   * Set when this session may not register a key, make recovery codes, change the password or
   * the code method: `key`, log in again with the security key; `again`, log in again (the
   * user's keys were removed since this session opened).
   */
  keyLogin?: 'key' | 'again' | undefined;
  /** How codes come now, in words (an authenticator app, emailed codes, none). */
  method: Translatable;
  secondFactor: 'totp' | 'email' | null;
  /** Where emailed codes would go (masked), when there is a designated address. */
  email?: string | undefined;
  keys: readonly AccountKeyView[];
  recoveryCodes?: { unused: number; total: number; createdAt: Date } | undefined;
  sessions: readonly AccountSessionView[];
  notice?: Translatable | undefined;
  error?: Translatable | undefined;
}

export interface AccountNewKeyView extends AccountFrame {
  /** The options for navigator.credentials.create(), as JSON for the page's script. */
  optionsJson: string;
  name: string;
  maxName: number;
  error?: Translatable | undefined;
}

export interface AccountRecoveryCodesView extends AccountFrame {
  codes: readonly string[];
  /** The same codes as a text file, for the download link. */
  download: string;
}

export interface AccountPasswordView extends AccountFrame {
  minLength: number;
  maxLength: number;
  error?: Translatable | undefined;
}

export interface AccountViews {
  'account-overview': AccountOverviewView;
  'account-new-key': AccountNewKeyView;
  'account-recovery-codes': AccountRecoveryCodesView;
  'account-password': AccountPasswordView;
  'account-signed-out': Record<string, never>;
}
