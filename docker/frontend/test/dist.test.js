// Checks the built bundle (run `npm run build` first): the page, its hashed assets,
// and that it needs nothing the Content-Security-Policy in nginx.conf forbids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(root, process.env.DIST_DIR || 'dist');
const indexPath = join(dist, 'index.html');

function readIndex() {
  assert.ok(existsSync(indexPath), `${indexPath} is missing: run \`npm run build\` first`);
  return readFileSync(indexPath, 'utf8');
}

function assetRefs(html) {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
}

test('index.html is the Atlantiplex Studio page', () => {
  const html = readIndex();
  assert.match(html, /<title>Atlantiplex Studio<\/title>/);
  assert.match(html, /<div id="root"><\/div>/);
});

test('every script and stylesheet is an external, content-hashed file under /assets/', () => {
  const html = readIndex();
  const refs = assetRefs(html);
  assert.ok(refs.some((r) => r.endsWith('.js')), 'no JS bundle referenced');
  assert.ok(refs.some((r) => r.endsWith('.css')), 'no stylesheet referenced');
  for (const ref of refs) {
    // nginx caches /assets/ for a year as immutable: only safe if names carry a hash.
    assert.match(ref, /^\/assets\/[\w.-]+-[\w-]{8,}\.(js|css)$/, `${ref} is not hashed`);
    assert.ok(existsSync(join(dist, ref)), `${ref} is referenced but not built`);
  }
});

test('the page needs no inline script or style (CSP: script-src/style-src self)', () => {
  const html = readIndex();
  for (const [, attrs, body] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(attrs, /\bsrc="/, 'inline <script> found');
    assert.equal(body.trim(), '', 'inline script body found');
  }
  assert.doesNotMatch(html, /<style[\s>]/, 'inline <style> found');
  assert.doesNotMatch(html, /\sstyle="/, 'style attribute found');
  assert.doesNotMatch(html, /\son[a-z]+="/, 'inline event handler found');
});

test('nginx.conf sends a CSP without unsafe-inline or unsafe-eval', () => {
  const conf = readFileSync(join(root, 'nginx.conf'), 'utf8');
  const csp = conf.match(/add_header\s+Content-Security-Policy\s+"([^"]+)"/);
  assert.ok(csp, 'no Content-Security-Policy header in nginx.conf');
  assert.match(csp[1], /default-src 'self'/);
  assert.match(csp[1], /script-src 'self'(;|$)/);
  assert.match(csp[1], /connect-src 'self'/);
  assert.doesNotMatch(csp[1], /unsafe-(inline|eval)/);
});

test('the bundle probes /api/health and /stage/health', () => {
  const js = assetRefs(readIndex())
    .filter((r) => r.endsWith('.js'))
    .map((r) => readFileSync(join(dist, r), 'utf8'))
    .join('\n');
  assert.ok(js.includes('/api/health'));
  assert.ok(js.includes('/stage/health'));
  assert.ok(js.includes('Atlantiplex Studio'));
});

test('no source maps are shipped', () => {
  const files = readdirSync(dist, { recursive: true }).map(String);
  assert.deepEqual(files.filter((f) => f.endsWith('.map')), []);
});
