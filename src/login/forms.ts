/**
 * The forms of the login pages, as the routes accept them: every field bounded, the method one
 * of the registry's code methods. Anything else is refused before a use case sees it.
 */
import { z } from 'zod';
import { CODE_METHODS } from '../factors/second-factors.js';

const csrfField = z.string().max(200);
export const forms = {
  csrfOnly: z.object({ csrf: csrfField }),
  login: z.object({ csrf: csrfField, participantId: z.string().max(64), userId: z.string().max(64), password: z.string().max(1024) }),
  code: z.object({ csrf: csrfField, code: z.string().max(32) }),
  method: z.object({ csrf: csrfField, method: z.enum(CODE_METHODS) }),
  credential: z.object({ csrf: csrfField, credential: z.string().max(100_000) }),
  way: z.object({ csrf: csrfField, way: z.string().max(32) }),
  newKey: z.object({ csrf: csrfField, name: z.string().max(200), credential: z.string().max(100_000) }),
  newPassword: z.object({ csrf: csrfField, current: z.string().max(1024), password: z.string().max(1024), confirmation: z.string().max(1024) }),
};
