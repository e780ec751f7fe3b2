/**
 * The static files every page uses: the stylesheet and the script of the self-submitting
 * form-post page (the CSP allows scripts of this server only, none inline). Read once at start.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';

const asset = (name: string) => readFileSync(fileURLToPath(new URL(`./assets/${name}`, import.meta.url)));
const STYLESHEET = asset('app.css');
const FORM_POST_SCRIPT = asset('form-post.js');

export function assetRoutes(): Router {
  const assets = new Router();
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
  // Browsers ask for it on every page; there is none, and a 404 would clutter logs and consoles.
  assets.get('/favicon.ico', (ctx) => {
    ctx.status = 204;
    ctx.set('Cache-Control', 'public, max-age=86400');
  });
  return assets;
}
