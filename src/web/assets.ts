/**
 * The static files every page uses: the stylesheet and the script of the self-submitting
 * form-post page (the CSP allows scripts of this server only, none inline). Read once at start.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';

const asset = (name: string) => readFileSync(fileURLToPath(new URL(`./assets/${name}`, import.meta.url)));
const STYLESHEET = asset('app.css');
const FORM_POST_SCRIPT = asset('form-post.js');
const WEBAUTHN_SCRIPT = asset('webauthn.js');
// SimpleWebAuthn's browser library, served from this server (the CSP allows no other origin).
// The package exports only its modules; its UMD bundle (the one its docs point browsers at) sits beside them.
const WEBAUTHN_LIBRARY = readFileSync(join(dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js'));

export function assetRoutes(): Router {
  const assets = new Router({ sensitive: true });
  assets.get('/assets/app.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = STYLESHEET;
  });
  assets.get('/assets/form-post.js', (ctx) => {
    ctx.type = 'application/javascript';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = FORM_POST_SCRIPT;
  });
  for (const [path, body] of [
    ['/assets/webauthn.js', WEBAUTHN_SCRIPT],
    ['/assets/simplewebauthn-browser.js', WEBAUTHN_LIBRARY],
  ] as const) {
    assets.get(path, (ctx) => {
      ctx.type = 'application/javascript';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = body;
    });
  }
  // Browsers ask for it on every page; there is none, and a 404 would clutter logs and consoles.
  assets.get('/favicon.ico', (ctx) => {
    ctx.status = 204;
    ctx.set('Cache-Control', 'public, max-age=86400');
  });
  return assets;
}
