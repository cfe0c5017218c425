import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageRoot } from '../core/paths/index.js';

/**
 * The dashboard's files: `ui/` of the package (plain JavaScript modules and CSS, no build step:
 * what ships is what runs) and uPlot from node_modules. Served from memory (read once, gzipped
 * once), never from a CDN: a plant network has no internet.
 */
interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};
const requireLazily = createRequire(import.meta.url);
const VENDOR: Record<string, string> = {
  'uPlot.iife.min.js': 'uplot/dist/uPlot.iife.min.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css',
};
const cache = new Map<string, Asset | null>();

/** The file for a URL path: `/` is the page, `/ui/<file>` its scripts and styles, `/ui/vendor/<file>` uPlot. */
function fileOf(path: string): string | undefined {
  if (path === '/' || path === '/index.html') return join(packageRoot(), 'ui', 'index.html');
  const vendor = /^\/ui\/vendor\/([A-Za-z.]+)$/.exec(path)?.[1];
  if (vendor) return VENDOR[vendor] ? requireLazily.resolve(VENDOR[vendor]) : undefined;
  const own = /^\/ui\/([a-z0-9-]+\.(?:js|css|svg))$/.exec(path)?.[1];
  return own ? join(packageRoot(), 'ui', own) : undefined;
}

function load(path: string): Asset | undefined {
  if (cache.has(path)) return cache.get(path) ?? undefined;
  const file = fileOf(path);
  let asset: Asset | null = null;
  if (file) {
    try {
      const body = readFileSync(file);
      const ext = file.slice(file.lastIndexOf('.') + 1);
      asset = {
        body,
        gzip: gzipSync(body),
        type: TYPES[ext] ?? 'application/octet-stream',
        etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`,
      };
    } catch {
      asset = null;
    }
  }
  cache.set(path, asset);
  return asset ?? undefined;
}

/** Whether the path is one of the dashboard's files (served without the API token: they hold no data). */
export function isDashboardAsset(path: string): boolean {
  return path === '/' || path === '/index.html' || path.startsWith('/ui/');
}

/**
 * Whether a request passes without the API token (both APIs, when they have one): `/healthz` (a
 * health probe has none to give) and GETs of the dashboard's files (no data; the page asks for the
 * token itself).
 */
export function passesWithoutToken(method: string | undefined, url: string | undefined): boolean {
  if (url === '/healthz') return true;
  return method === 'GET' && isDashboardAsset(new URL(url ?? '/', 'http://localhost').pathname);
}

/** Answers a GET of a dashboard file; false when there is no such file (the caller answers 404). */
export function serveAsset(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const asset = load(path);
  if (!asset) return false;
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, { etag: asset.etag }).end();
    return true;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip : asset.body;
  res
    .writeHead(200, {
      'content-type': asset.type,
      'content-length': body.length,
      etag: asset.etag,
      // Revalidated on each load (cheap: 304), so an upgrade is seen at once.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      ...(asset.type.startsWith('text/html')
        ? {
            'content-security-policy':
              "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            'x-frame-options': 'DENY',
          }
        : {}),
    })
    .end(req.method === 'HEAD' ? undefined : body);
  return true;
}
