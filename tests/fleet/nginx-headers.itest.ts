// Issue 16 item 8: an oversized request header gets an answer. uWS 20.30 (gate; checkout is
// hyper-express on uWS) parses a header block that arrives in one read in place, and cuts one
// that spans several reads beyond its buffer without answering: measured here on a real gate.
// The deployment puts the project's nginx template in front (Debian's nginx, real), which answers
// such requests 431 with the API's JSON error shape, and passes normal ones through.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testGate } from '../../gate/test/gate.ts';
import { NGINX, type RunningNginx, startNginx } from '../support/nginx.ts';
import { freePort } from '../support/services.ts';

let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>>;
let nginx: RunningNginx;
let listen = '';

beforeAll(async () => {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} missing: apt-get install -y nginx`);
  fx = await redisFixture();
  gate = await testGate(fx.prefix, { GATE_TRUSTED_PROXIES: '127.0.0.1' });
  listen = `127.0.0.1:${await freePort()}`;
  nginx = await startNginx({
    listen,
    dashboardListen: `127.0.0.1:${await freePort()}`,
    gates: [`127.0.0.1:${gate.port}`],
    checkouts: ['127.0.0.1:1'],
    dashboards: ['127.0.0.1:1'],
  });
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await gate?.close();
  await fx?.cleanup();
});

/** Send a GET with a `size`-byte header in `pieces` writes 20 ms apart; the status line, or '' if cut. */
function rawGet(port: number, size: number, pieces: number): Promise<{ status: string; body: string }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
    });
    s.on('error', (err) => void err); // a reset is one of the outcomes measured: 'close' reports it
    s.on('close', () => {
      const [head = '', body = ''] = got.split('\r\n\r\n');
      resolve({ status: head.split('\r\n')[0] ?? '', body });
    });
    const req = `GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Junk: ${'a'.repeat(size)}\r\n\r\n`;
    const step = Math.ceil(req.length / pieces);
    let i = 0;
    const next = () => {
      if (i >= req.length || s.destroyed) return;
      s.write(req.slice(i, i + step));
      i += step;
      setTimeout(next, 20);
    };
    next();
    setTimeout(() => s.destroy(), 5000);
  });
}

it('uWS cuts a large header block that spans reads without an answer; one read is served', async () => {
  expect((await rawGet(gate.port, 20_000, 1)).status).toBe('HTTP/1.1 200 OK');
  expect((await rawGet(gate.port, 20_000, 8)).status).toBe('');
});

it('nginx in front answers 431 with a JSON error, and serves normal requests', async () => {
  const port = Number(listen.split(':')[1]);
  expect((await rawGet(port, 100, 1)).status).toBe('HTTP/1.1 200 OK');
  for (const pieces of [1, 8]) {
    const r = await rawGet(port, 20_000, pieces);
    expect(r.status).toMatch(/^HTTP\/1\.1 431\b/); // nginx knows no reason phrase for 431
    expect(JSON.parse(r.body)).toEqual({ error: { code: 'HEADERS_TOO_LARGE', message: 'Request headers too large.' } });
  }
});
