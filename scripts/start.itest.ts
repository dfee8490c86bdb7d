// `npm start` end to end: the launcher brings up every service with the demo sale, a shopper can
// join over WebSocket, every service is ready, and Ctrl-C (SIGINT) stops everything.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { uniqueId } from '@sluice/shared/testing/index.ts';
import { solvePow } from '../gate/page/src/pow.ts';
import { killLaunchedWith } from '../tests/support/orphans.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

// Ports below the kernel's ephemeral range (32768+), so no outgoing connection of a parallel
// test can take one between this check and the service's listen.
function freePort(): Promise<number> {
  const port = 20_000 + Math.floor(Math.random() * 12_000);
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(freePort()));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(port)));
  });
}

/** A non-loopback IPv4 address of this machine, if it has one. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function portOpen(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

let launcher: ChildProcess | undefined;
const prefix = uniqueId('start');
afterAll(async () => {
  // A failed run: ask the launcher to stop its services in order, and if it does not within 20 s,
  // kill it and whatever it started (its services run in their own process groups).
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
    const exited = new Promise((r) => launcher!.once('exit', r));
    launcher.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
  killLaunchedWith(prefix);
});

describe('npm start', () => {
  it('serves the demo and stops cleanly on Ctrl-C', async () => {
    const ports = {
      GATE_PORT: await freePort(),
      CHECKOUT_PORT: await freePort(),
      DASHBOARD_PORT: await freePort(),
      WORKER_METRICS_PORT: await freePort(),
      STOREFRONT_PORT: await freePort(),
    };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SLUICE_PREFIX: prefix,
      // Far enough that a slow start on a loaded machine still finds the sale in its pre-queue.
      DEMO_OPENS_IN_S: '600',
      GATE_WORKERS: '2',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };
    delete env.GATE_PUBLIC_URL;
    launcher = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    launcher.stdout!.on('data', (d) => {
      out += d;
    });
    launcher.stderr!.on('data', (d) => {
      out += d;
    });
    const deadline = Date.now() + 150_000;
    while (!out.includes('admin token:') && Date.now() < deadline && launcher.exitCode === null) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(out).toContain('admin token:');
    for (const name of ['gate', 'queue page', 'checkout', 'dashboard']) expect(out).toMatch(new RegExp(`^${name} +http`, 'm'));

    for (const port of [ports.GATE_PORT, ports.CHECKOUT_PORT, ports.DASHBOARD_PORT, ports.WORKER_METRICS_PORT]) {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(200);
    }

    // Safe defaults: every service on loopback only, no credentials printed, the admin token in
    // an owner-only file rather than on the terminal.
    const outside = outsideAddress();
    if (outside) {
      for (const port of [ports.GATE_PORT, ports.CHECKOUT_PORT, ports.DASHBOARD_PORT, ports.WORKER_METRICS_PORT, ports.STOREFRONT_PORT]) {
        expect(await accepts(outside, port), `port ${port} on ${outside}`).toBe(false);
        expect(await accepts('127.0.0.1', port), `port ${port} on loopback`).toBe(true);
      }
    }
    expect(out).not.toMatch(/[a-z]+:\/\/[^\s/@]*:[^\s/@]*@/);
    const tokenFile = `${root}.data/admin-token`;
    expect(existsSync(tokenFile)).toBe(true);
    expect(statSync(tokenFile).mode & 0o077).toBe(0);
    expect(out).not.toContain(readFileSync(tokenFile, 'utf8').trim());

    const cid = uniqueId('cid');
    const challenge = (await (await fetch(`http://127.0.0.1:${ports.GATE_PORT}/v1/events/demo/challenge?cid=${cid}`)).json()) as {
      challenge: string;
      difficulty: number;
    };
    const nonce = await solvePow(challenge.challenge, challenge.difficulty);
    const ws = new WebSocket(`ws://127.0.0.1:${ports.GATE_PORT}/v1/events/demo/ws`, { origin: `http://localhost:${ports.GATE_PORT}` });
    const welcome = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ t: 'join', cid, pow: { challenge: challenge.challenge, nonce } })));
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.t === 'welcome') resolve(msg);
      });
      ws.on('error', reject);
      setTimeout(() => reject(new Error('no welcome')), 15_000);
    });
    expect(welcome.evt).toBe('demo');
    expect(welcome.phase).toBe('prequeue');
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));

    launcher.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => launcher!.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(await closed).toBe(4030); // CloseCode.GOING_AWAY: reconnect and keep the place
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
  }, 240_000);
});
