import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyInvite } from './credentials.ts';
import { LANE_SPAN, laneFor, splitScore, validateLanes } from './model.ts';

const key = generateKeyPairSync('ed25519');
const x = key.publicKey.export({ format: 'jwk' }).x as string;

describe('lane config', () => {
  it('fills defaults and refuses what cannot work', () => {
    expect(validateLanes(undefined, undefined)).toEqual({ lanes: [], laneMode: 'shares' });
    expect(validateLanes([{ id: 'members', share: 3, access: 'code' }, { id: 'public' }], 'strict').lanes[1]).toEqual({
      id: 'public',
      share: 1,
      access: 'open',
      inviteKeys: [],
    });
    const bad = (lanes: unknown, mode?: unknown) => () => validateLanes(lanes, mode);
    expect(bad([{ id: 'Members' }])).toThrow(/lanes\[0\]\.id/);
    expect(bad([{ id: 'a' }, { id: 'a' }])).toThrow(/unique/);
    expect(bad(Array.from({ length: 9 }, (_, i) => ({ id: `l${i}` })))).toThrow(/at most 8/);
    expect(bad([{ id: 'crm', access: 'invite' }])).toThrow(/needs at least one key/);
    expect(bad([{ id: 'crm', access: 'invite', inviteKeys: [{ kid: 'k', x: 'short' }] }])).toThrow(/Ed25519/);
    expect(bad([{ id: 'a', share: 0 }])).toThrow(/share above 0/);
    expect(bad([{ id: 'a', share: 1.5 }])).toThrow(/integer/);
    expect(bad([{ id: 'a' }], 'random')).toThrow(/laneMode/);
  });

  it('splits a score into lane and number, and picks the default lane', () => {
    expect(splitScore(3 * LANE_SPAN + 41)).toEqual({ lane: 3, number: 41 });
    expect(splitScore(41)).toEqual({ lane: 0, number: 41 });
    const { lanes } = validateLanes([{ id: 'members', access: 'code' }, { id: 'public' }], undefined);
    expect(laneFor(lanes, undefined)?.index).toBe(1);
    expect(laneFor(lanes, 'members')?.index).toBe(0);
    expect(laneFor(lanes, 'vip')).toBeNull();
  });
});

describe('invite tokens', () => {
  const lane = validateLanes([{ id: 'crm', access: 'invite', inviteKeys: [{ kid: 'k1', x }] }], undefined).lanes[0]!;
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const token = (header: unknown, claims: unknown) => {
    const data = `${b64(header)}.${b64(claims)}`;
    return `${data}.${sign(null, Buffer.from(data), key.privateKey).toString('base64url')}`;
  };
  const claims = { evt: 'drop1', lane: 'crm', exp: 2000, jti: 'invite-0001' };

  it('accepts a token signed by a lane key for this event and lane until it expires', () => {
    expect(verifyInvite(token({ alg: 'EdDSA', kid: 'k1' }, claims), 'drop1', lane, 1000)).toMatchObject({ ok: true, claims: { jti: 'invite-0001' } });
    expect(verifyInvite(token({ alg: 'EdDSA' }, claims), 'drop1', lane, 1000).ok).toBe(true);
    expect(verifyInvite(token({ alg: 'EdDSA', kid: 'k1' }, claims), 'drop1', lane, 2000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses alg none or another alg, unknown kids, junk and oversized input before any crypto', () => {
    const unsigned = `${b64({ alg: 'none' })}.${b64(claims)}.`;
    expect(verifyInvite(unsigned, 'drop1', lane, 1000).ok).toBe(false);
    expect(verifyInvite(token({ alg: 'ES256', kid: 'k1' }, claims), 'drop1', lane, 1000)).toEqual({ ok: false, reason: 'algorithm' });
    expect(verifyInvite(token({ alg: 'EdDSA', kid: 'k2' }, claims), 'drop1', lane, 1000)).toEqual({ ok: false, reason: 'unknown key' });
    expect(verifyInvite('a.b', 'drop1', lane, 1000)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyInvite('x'.repeat(2000), 'drop1', lane, 1000)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyInvite(42, 'drop1', lane, 1000)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyInvite(token({ alg: 'EdDSA' }, { ...claims, jti: 'short' }), 'drop1', lane, 1000)).toEqual({ ok: false, reason: 'jti' });
  });
});
