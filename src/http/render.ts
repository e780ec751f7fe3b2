/**
 * Server-rendered pages (Eta, auto-escaping on, templates compiled once and cached).
 * Pages never carry inline scripts or styles: the CSP allows only this server's assets.
 */
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

export type Renderer = (view: string, data: Record<string, unknown>) => string;

export function createRenderer(): Renderer {
  const eta = new Eta({
    views: fileURLToPath(new URL('./views', import.meta.url)),
    autoEscape: true,
    cache: true,
    autoTrim: false,
  });
  return (view, data) => eta.render(`./${view}`, data);
}
