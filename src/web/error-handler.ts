/**
 * Turns errors thrown by our own routes into responses: domain errors and client errors
 * (bad body, too large, wrong content type) become clear 4xx answers; a database interruption
 * is a 503 that says to try again; anything else is a logged 500 that shows the user only a
 * reference number. A page says what happened in the reader's language: a domain error's
 * reason, a client error's message when it is a catalogue key, else a message chosen by status.
 */
import { pageLocale } from './locale.js';
import { en } from '../i18n/messages/en.js';
import { translator, type MessageKey, type Translatable } from '../i18n/translate.js';
import type { Middleware } from 'koa';
import { isDomainError, TooManyRequestsError, ValidationError } from '../kernel/errors.js';
import { isTransientDatabaseError } from '../store/transient-errors.js';
import type { Logger } from '../observability/logger.js';
import type { Renderer } from './render.js';

interface HttpishError extends Error {
  status?: number;
  statusCode?: number;
  expose?: boolean;
}

const isMessageKey = (text: string): text is MessageKey => Object.hasOwn(en, text);

/** What a page says for a status when the error brings no message of the catalogue. */
function textForStatus(status: number): { title: MessageKey; message: MessageKey } {
  if (status === 503) return { title: 'error.pleaseWait', message: 'error.tryAgain' };
  if (status >= 500) return { title: 'error.somethingWrong', message: 'pages.error.ourSide' };
  if (status === 404) return { title: 'pages.error.notFoundTitle', message: 'pages.error.notFound' };
  if (status === 413) return { title: 'pages.error.tooLargeTitle', message: 'pages.error.tooLarge' };
  if (status === 415) return { title: 'error.notAccepted', message: 'pages.error.unsupportedType' };
  if (status === 403) return { title: 'error.notAccepted', message: 'pages.error.forbidden' };
  if (status === 409) return { title: 'error.notAccepted', message: 'pages.error.conflict' };
  if (status === 429) return { title: 'error.pleaseWait', message: 'pages.error.tooManyRequests' };
  return { title: 'error.notAccepted', message: 'pages.error.notUnderstood' };
}

/** Every error page cites the CCASS Hotline with its number (`support.hotline`). */
export function withHotline(render: Renderer, hotline: string): Renderer {
  return ((view, data, page) => render(view, view === 'error' ? { ...data, hotline } : data, page)) as Renderer;
}

export function errorHandler(log: Logger, render: Renderer): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      const error = caught as HttpishError;
      const requestId = ctx.state['requestId'] as string | undefined;
      let status = 500;
      let reason: Translatable | undefined;
      // What `ctx.throw` was given: shown when it is a catalogue key, else told to API clients only.
      let detail: string | undefined;
      let fields: Record<string, string> | undefined;
      if (isTransientDatabaseError(error)) {
        status = 503;
        ctx.set('Retry-After', '1');
      } else if (isDomainError(error)) {
        status = error.status;
        reason = error.reason;
        if (error instanceof ValidationError) fields = error.fields;
        if (error instanceof TooManyRequestsError) ctx.set('Retry-After', String(error.retryAfterSeconds));
      } else {
        const candidate = error.status ?? error.statusCode;
        if (candidate && candidate >= 400 && candidate < 500) {
          status = candidate;
          if (error.expose) detail = error.message;
        }
      }
      if (status === 503) log.warn({ err: error, requestId }, 'request failed on a database interruption; answered 503 (try again)');
      else if (status >= 500) log.error({ err: error, requestId }, 'unhandled error');
      ctx.status = status;
      ctx.set('Cache-Control', 'no-store');
      const byStatus = textForStatus(status);
      const message: Translatable = reason ?? (detail !== undefined && isMessageKey(detail) ? detail : byStatus.message);
      const t = translator(pageLocale(ctx).locale);
      if (ctx.accepts(['html', 'json']) === 'json') {
        // A message is written in the reader's language, as on a page; API clients keep the words of `ctx.throw` (they log them).
        const text = detail !== undefined && !isMessageKey(detail) ? detail : t(message);
        const code = status === 503 ? 'temporarily_unavailable' : status >= 500 ? 'server_error' : 'invalid_request';
        ctx.body = { error: code, message: text, ...(fields ? { fields } : {}), requestId };
      } else {
        ctx.type = 'html';
        ctx.body = render('error', { title: byStatus.title, message, requestId }, pageLocale(ctx));
      }
    }
  };
}
