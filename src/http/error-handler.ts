/**
 * Turns errors thrown by our own routes into responses: domain errors and client errors
 * (bad body, too large, wrong content type) become clear 4xx answers; a database interruption
 * is a 503 that says to try again; anything else is a logged 500 that shows the user only a
 * reference number.
 */
import { pageLocale } from './locale.js';
import { translator } from '../i18n/translate.js';
import type { Middleware } from 'koa';
import { isDomainError, TooManyRequestsError, ValidationError } from '../errors.js';
import { isTransientDatabaseError } from '../store/transient-errors.js';
import type { Logger } from '../observability/logger.js';
import type { Renderer } from './render.js';

interface HttpishError extends Error {
  status?: number;
  statusCode?: number;
  expose?: boolean;
}

export function errorHandler(log: Logger, render: Renderer): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      const error = caught as HttpishError;
      const requestId = ctx.state['requestId'] as string | undefined;
      let status = 500;
      let message = 'Something went wrong on our side. Please try again.';
      let fields: Record<string, string> | undefined;
      if (isTransientDatabaseError(error)) {
        status = 503;
        message = 'error.tryAgain';
        ctx.set('Retry-After', '1');
      } else if (isDomainError(error)) {
        status = error.status;
        message = error.message;
        if (error instanceof ValidationError) fields = error.fields;
        if (error instanceof TooManyRequestsError) ctx.set('Retry-After', String(error.retryAfterSeconds));
      } else {
        const candidate = error.status ?? error.statusCode;
        if (candidate && candidate >= 400 && candidate < 500) {
          status = candidate;
          message = error.expose ? error.message : 'The request could not be understood.';
        }
      }
      if (status === 503) log.warn({ err: error, requestId }, 'request failed on a database interruption; answered 503 (try again)');
      else if (status >= 500) log.error({ err: error, requestId }, 'unhandled error');
      ctx.status = status;
      ctx.set('Cache-Control', 'no-store');
      if (ctx.accepts(['html', 'json']) === 'json') {
        // A message given by key is written in the reader's language, as on a page.
        const text = translator(pageLocale(ctx).locale)(message);
        const code = status === 503 ? 'temporarily_unavailable' : status >= 500 ? 'server_error' : 'invalid_request';
        ctx.body = { error: code, message: text, ...(fields ? { fields } : {}), requestId };
      } else {
        ctx.type = 'html';
        const title = status === 503 ? 'error.pleaseWait' : status >= 500 ? 'error.somethingWrong' : 'error.notAccepted';
        ctx.body = render('error', { title, message, requestId }, pageLocale(ctx));
      }
    }
  };
}
