/**
 * The DMS pages and the data each takes (see `http/views.ts`): text a DA reads is a
 * catalogue message, never an English string.
 */
import type { Translatable } from '../i18n/translate.js';

/** What every DMS page shows in its banner: the participant, the DA, the section. */
export interface DmsFrame {
  dms: { participantId: string; userId: string; csrf: string };
  section?: string;
  [more: string]: unknown;
}

export interface DmsViews {
  'dms-users': DmsFrame;
  'dms-user': DmsFrame & { error?: Translatable | undefined; notice?: Translatable | undefined };
  'dms-upload': DmsFrame;
  'dms-readiness': DmsFrame;
  'dms-audit': DmsFrame;
  'dms-logged-out': Record<string, never>;
}
