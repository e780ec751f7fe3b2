/**
 * Every page this server renders and the data it takes. Whatever a person reads on a page is
 * a catalogue message (`Translatable`: a key, or a key with values), so a sentence written
 * in English in a route or in domain code does not compile; raw strings are only for what is
 * not language (identifiers, email addresses, URLs, form values).
 */
import type { Translatable } from '../i18n/translate.js';
import type { DmsViews } from '../dms/views.js';
import type { AccountViews } from '../account/views.js';

/** Any error or notice page: a title, a message, and the request's reference for the hotline. */
export interface ErrorView {
  title: Translatable;
  message: Translatable;
  requestId?: string | undefined;
  /** Where the reader can go next (e.g. back to CCASS Terminal), in their language. */
  links?: readonly { href: string; label: Translatable }[] | undefined;
  /** The CCASS Hotline's number (`support.hotline`): the app adds it to every error page. */
  hotline?: string | undefined;
}

export interface LoginView {
  uid: string;
  csrf: string;
  clientName: string;
  participantId: string;
  userId: string;
  error?: Translatable | undefined;
  showPassword: boolean;
  smartcardAction?: string | undefined;
  banner?: Translatable | undefined;
  /** A deadline near: what must be done by when (src/login/pages.ts, deadlineNotice). */
  deadlineNotice?: Translatable | undefined;
}

export interface CodeView {
  base: string;
  csrf: string;
  method: string;
  email: string;
  digits: number;
  /** Whether this login (or set-up) has an emailed code to enter; if not, the page says so and when to ask. */
  codeSent: boolean;
  canChangeMethod: boolean;
  changingMethod: boolean;
  canChangePassword: boolean;
  changingPassword: boolean;
  otherWays: readonly OtherWay[];
  error?: Translatable | undefined;
  notice?: Translatable | undefined;
}

export interface NewPasswordView {
  base?: string;
  csrf: string;
  participantId: string;
  userId: string;
  minLength: number;
  maxLength: number;
  error?: Translatable | undefined;
  /** Shown above the form (the activation page: until when an exception lets the user activate). */
  notice?: Translatable | undefined;
}

export interface ChooseMethodView {
  base: string;
  csrf: string;
  email?: string | undefined;
  current: string | null;
  notice?: Translatable | undefined;
}

/** The other ways a login's second-factor page offers ("use a code instead", "use a recovery code"). */
export type OtherWay = 'webauthn' | 'totp' | 'email' | 'recovery';

/** The security-key step of a login: the options for navigator.credentials.get(), as JSON. */
export interface SecurityKeyView {
  base: string;
  csrf: string;
  options: string;
  otherWays: readonly OtherWay[];
  error?: Translatable | undefined;
}

export interface RecoveryCodeView {
  base: string;
  csrf: string;
  otherWays: readonly OtherWay[];
  error?: Translatable | undefined;
}

/** After a smartcard login: register a security key, vouched for by the card, or continue. */
export interface RegisterKeyView {
  base: string;
  csrf: string;
  options: string;
  defaultName: Translatable;
  error?: Translatable | undefined;
  /** The user's smartcard works past the cut-off on a dated exception: until when. */
  exception?: Translatable | undefined;
}

export interface EnrolTotpView {
  base: string;
  csrf: string;
  qrCode: string;
  manualKey: string;
  issuer: string;
  digits: number;
  error?: Translatable | undefined;
}

export interface ConsentView {
  uid: string;
  csrf: string;
  clientName: string;
  /** What the client receives, one description per scope, then per claim asked for by name (src/oidc/scopes.ts). */
  scopes: readonly Translatable[];
}

/** oidc-provider's self-submitting form, as our page: where it posts and what. */
export interface FormPostView {
  action: string;
  fields: readonly { name: string; value: string }[];
  /** The page's heading and title: returning to a client, or logging out. */
  title: Translatable;
  heading: Translatable;
}

export interface LogoutView {
  /** oidc-provider's form (its action and anti-forgery token; no text): the buttons submit it. */
  form: string;
  clientName?: string | undefined;
}

export interface LoggedOutView {
  /** "Logged out", or — after "No, stay logged in" — that the login goes on. */
  title: Translatable;
  heading: Translatable;
  clientName?: string | undefined;
}

/** The end of an activation: how the user logs in from now on, and where to go next. */
export interface ActivationDoneView {
  /** What to read: how to log in from now on, and what to do if the factor is lost. */
  ready: Translatable;
  lost: Translatable;
  links: readonly { href: string; label: Translatable }[];
}

export interface Views extends DmsViews {
  error: ErrorView;
  login: LoginView;
  otp: CodeView;
  'change-password': NewPasswordView;
  'activate-password': NewPasswordView;
  'choose-method': ChooseMethodView;
  'security-key': SecurityKeyView;
  'recovery-code': RecoveryCodeView;
  'register-key': RegisterKeyView;
  'enrol-totp': EnrolTotpView;
  consent: ConsentView;
  'activate-done': ActivationDoneView;
  logout: LogoutView;
  'logged-out': LoggedOutView;
  'form-post': FormPostView;
}

export type ViewName = keyof Views;

/** The user's own security page (src/account/views.ts). */
export interface Views {
  'account-overview': AccountViews['account-overview'];
  'account-new-key': AccountViews['account-new-key'];
  'account-recovery-codes': AccountViews['account-recovery-codes'];
  'account-password': AccountViews['account-password'];
  'account-signed-out': AccountViews['account-signed-out'];
}
