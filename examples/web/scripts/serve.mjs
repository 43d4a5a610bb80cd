// Serve dist/ on http://localhost:$WEB_PORT (default 3000, the CDK app's default frontendOrigin).
// Static files only; nothing is logged but the method, path and status.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const port = Number(process.env.WEB_PORT || 3000);
const host = process.env.WEB_HOST || 'localhost';
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
};
// What a static host should send with this page. Its Content-Security-Policy is in index.html
// itself (scripts/csp.mjs); a header must add what a <meta> policy cannot carry: no framing.
const SECURITY = {
  'Content-Security-Policy': "frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const file = normalize(join(dist, path === '/' ? 'index.html' : path));
  let status = 200;
  try {
    if (!file.startsWith(dist) || !(req.method === 'GET' || req.method === 'HEAD')) throw new Error('refused');
    const body = await readFile(file);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...SECURITY });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    status = 404;
    res.writeHead(404, { 'Content-Type': 'text/plain', ...SECURITY });
    res.end('not found\n');
  }
  if (process.env.WEB_QUIET !== '1') console.log(`web: ${req.method} ${path} ${status}`);
});
server.listen(port, host, () => console.log(`web: serving http://localhost:${port}/ (Ctrl-C stops)`));
