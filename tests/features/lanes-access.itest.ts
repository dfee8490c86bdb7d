// Lanes that need a credential, end to end on the real Redis and PostgreSQL: the dashboard's
// admin API uploads single-use access codes (stored hashed), counts and revokes them; shoppers
// join an in-process gate over real WebSockets. A code used twice is refused (and counted), a
// revoked code is refused, an invite token (Ed25519, signed by "the CRM") works once and is
// refused when badly signed, for another event or lane, or expired.
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { CloseCode, eventKeys } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, eventBody, type Rig, startRig, until } from '../../dashboard/src/test-support.ts';
import { type Client, connect } from '../../gate/test/client.ts';
import { testGate } from '../../gate/test/gate.ts';

const EVT = 'lanes-access';
let rig: Rig;
let gate: Awaited<ReturnType<typeof testGate>>;
const crm = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const x = (k: KeyObject) => k.export({ format: 'jwk' }).x as string;

/** A compact JWS as a CRM would make it (EdDSA). */
function invite(claims: Record<string, unknown>, key: KeyObject = crm.privateKey, kid = 'crm-1'): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const data = `${b64({ alg: 'EdDSA', typ: 'JWT', kid })}.${b64(claims)}`;
  return `${data}.${sign(null, Buffer.from(data), key).toString('base64url')}`;
}
const inviteFor = (jti: string, over: Record<string, unknown> = {}) =>
  invite({ evt: EVT, lane: 'crm', exp: Math.floor(Date.now() / 1000) + 600, jti, ...over });

let n = 0;
/** Join over a WebSocket; the welcome, or the close code when refused. */
async function join(msg: Record<string, unknown>): Promise<{ code: number; lane?: string; score?: number | null }> {
  const c: Client = await connect(gate.ws(EVT));
  c.send({ t: 'join', cid: `lanes-shopper-${String(n++).padStart(4, '0')}`, ...msg });
  const r = await Promise.race([
    c.next('welcome', 10_000).then((w) => ({ code: 0, lane: w.lane, score: w.score })),
    c.closed.then((x) => ({ code: x.code })),
  ]);
  c.close();
  return r;
}

const counts = async () => (await rig.call('GET', `/v1/events/${EVT}/lanes`, { token: ADMIN })).json.lanes as Record<string, number | string>[];

beforeAll(async () => {
  rig = await startRig();
  const now = Date.now();
  const body = eventBody(EVT, {
    prequeueAt: now - 1000,
    startAt: now - 1000,
    queueAll: true,
    allowedOrigins: ['https://shop.example'],
    lanes: [
      { id: 'members', share: 3, access: 'code' },
      { id: 'crm', share: 1, access: 'invite', inviteKeys: [{ kid: 'crm-1', x: x(crm.publicKey) }] },
      { id: 'public', share: 1 },
    ],
  });
  expect((await rig.call('POST', '/v1/events', { token: ADMIN, body })).status).toBe(201);
  gate = await testGate(rig.prefix);
  await until(() => gate.ctx.events.get(EVT)?.state === 'open');
});
afterAll(async () => {
  await gate?.close();
  await rig?.close();
});

describe('access codes', () => {
  it('are uploaded hashed in bounded batches, work once, and are refused (and counted) the second time or once revoked', async () => {
    const up = await rig.call('POST', `/v1/events/${EVT}/lanes/members/codes`, { token: ADMIN, body: { codes: ['MEMBER-0001', 'MEMBER-0002', 'MEMBER-0003'] } });
    expect(up.status).toBe(201);
    expect(up.json).toMatchObject({ lane: 'members', added: 3, duplicates: 0 });
    // Stored hashed: no code appears in Redis.
    const stored = JSON.stringify(await rig.redis.hgetall(eventKeys(rig.prefix, EVT).codes));
    expect(stored).not.toMatch(/MEMBER-000/);
    // Bounded and validated.
    const tooMany = Array.from({ length: 1001 }, (_, i) => `BULK-${String(i).padStart(5, '0')}`);
    expect((await rig.call('POST', `/v1/events/${EVT}/lanes/members/codes`, { token: ADMIN, body: { codes: tooMany } })).status).toBe(400);
    expect((await rig.call('POST', `/v1/events/${EVT}/lanes/public/codes`, { token: ADMIN, body: { codes: ['MEMBER-0009'] } })).status).toBe(400);

    const first = await join({ lane: 'members', code: 'MEMBER-0001' });
    expect(first).toMatchObject({ code: 0, lane: 'members', score: 1 });
    // The same code from another browser: refused.
    expect((await join({ lane: 'members', code: 'MEMBER-0001' })).code).toBe(CloseCode.ACCESS_REFUSED);
    // Revoked before use: refused; an unknown code and no code at all: the same answer.
    const rv = await rig.call('POST', `/v1/events/${EVT}/lanes/members/codes/revoke`, { token: ADMIN, body: { codes: ['MEMBER-0002', 'MEMBER-0001'] } });
    expect(rv.json).toMatchObject({ revoked: 1, unchanged: 1 });
    expect((await join({ lane: 'members', code: 'MEMBER-0002' })).code).toBe(CloseCode.ACCESS_REFUSED);
    expect((await join({ lane: 'members', code: 'NOT-A-CODE' })).code).toBe(CloseCode.ACCESS_REFUSED);
    expect((await join({ lane: 'members' })).code).toBe(CloseCode.ACCESS_REFUSED);
    // A code of this lane does not open another one; the last good code still works.
    expect((await join({ lane: 'crm', code: 'MEMBER-0003' })).code).toBe(CloseCode.ACCESS_REFUSED);
    expect(await join({ lane: 'members', code: 'MEMBER-0003' })).toMatchObject({ code: 0, lane: 'members', score: 2 });
    const members = (await counts()).find((l) => l.id === 'members');
    expect(members).toMatchObject({ uploaded: 3, used: 2, revoked: 1, left: 0, refused: 4 });
    // The audit log has the lane and the count, never a code.
    const { rows } = await rig.pool.query(`SELECT action, after FROM audit_log WHERE event_id = $1 AND action LIKE 'lane.%'`, [EVT]);
    expect(rows.map((r) => r.action)).toEqual(['lane.codes.add', 'lane.codes.revoke']);
    expect(JSON.stringify(rows)).not.toMatch(/MEMBER-000/);
  });

  it('an open lane needs nothing; an unknown lane is refused', async () => {
    expect(await join({})).toMatchObject({ code: 0, lane: 'public' });
    expect((await join({ lane: 'vip' })).code).toBe(CloseCode.UNKNOWN_LANE);
  });
});

describe('invite tokens', () => {
  it('verify offline against the lane keys and work once; wrong signature, event, lane or expiry are refused', async () => {
    expect(await join({ lane: 'crm', invite: inviteFor('crm-invite-0001') })).toMatchObject({ code: 0, lane: 'crm', score: 1 });
    expect((await join({ lane: 'crm', invite: inviteFor('crm-invite-0001') })).code).toBe(CloseCode.ACCESS_REFUSED);
    const signedByOther = invite({ evt: EVT, lane: 'crm', exp: Math.floor(Date.now() / 1000) + 600, jti: 'crm-invite-0002' }, other.privateKey);
    expect((await join({ lane: 'crm', invite: signedByOther })).code).toBe(CloseCode.ACCESS_REFUSED);
    expect((await join({ lane: 'crm', invite: inviteFor('crm-invite-0003', { evt: 'another-sale' }) })).code).toBe(CloseCode.ACCESS_REFUSED);
    expect((await join({ lane: 'crm', invite: inviteFor('crm-invite-0004', { lane: 'members' }) })).code).toBe(CloseCode.ACCESS_REFUSED);
    expect((await join({ lane: 'crm', invite: inviteFor('crm-invite-0005', { exp: Math.floor(Date.now() / 1000) - 1 }) })).code).toBe(CloseCode.ACCESS_REFUSED);
    const tampered = inviteFor('crm-invite-0006').replace(/\.([^.]+)\./, (_, p) => `.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), jti: 'crm-invite-9999' })).toString('base64url')}.`);
    expect((await join({ lane: 'crm', invite: tampered })).code).toBe(CloseCode.ACCESS_REFUSED);
    expect((await join({ lane: 'crm', invite: 'x'.repeat(900) })).code).toBe(CloseCode.ACCESS_REFUSED);
    expect(await join({ lane: 'crm', invite: inviteFor('crm-invite-0007') })).toMatchObject({ code: 0, lane: 'crm', score: 2 });
    // Every refusal is counted: the six invites refused in the gate (bad signature, event, lane,
    // expiry, tampered, junk) went uncounted before (refused: 2 on main), and spent no proof of work.
    expect((await counts()).find((l) => l.id === 'crm')).toMatchObject({ invitesUsed: 2, refused: 8 });
  });
});
