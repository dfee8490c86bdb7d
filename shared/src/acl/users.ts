// Redis users per service (least privilege), the one source of deploy/redis/users.acl
// (`npm run redis:acl`). Key patterns follow shared/src/keys.ts: per-event keys are
// `<prefix>:{<evt>}:...` (BullMQ's queues too), so `<prefix>:{*` covers every event key and none
// of the global ones. The private signing keys (`<prefix>:signing-keys`) and the place secret
// (`<prefix>:place-secret`) are readable by the gate alone; the dashboard may write a new sealed
// signing key (rotation) but not read one; checkout and the worker see neither.
import { createHash } from 'node:crypto';

export const SERVICES = ['gate', 'checkout', 'worker', 'dashboard'] as const;
export type Service = (typeof SERVICES)[number];

export interface AclUser {
  /** Keys read and written (`~pattern`). */
  keys: string[];
  /** Keys only read (`%R~pattern`). */
  readKeys: string[];
  /** Keys only written (`%W~pattern`). */
  writeKeys: string[];
  /** Pub/sub channels (`&pattern`). */
  channels: string[];
  /** Command rules, in order. */
  commands: string[];
  /** Why this user needs what it has (docs/SECURITY.md; ACL files take no comments). */
  why: string;
}

/**
 * Commands every service uses: data commands and scripts, no administration. INFO is allowed for
 * the server version and maxmemory-policy checks (BullMQ and readiness); CLUSTER SLOTS/SHARDS for
 * the cluster client (REDIS_CLUSTER_NODES).
 */
const BASE = [
  '-@all',
  '+@connection',
  '+@read',
  '+@write',
  '+@transaction',
  '+@scripting',
  '-@dangerous',
  '+info',
  '+time',
  '+cluster|slots',
  '+cluster|shards',
  '+cluster|nodes',
  '+cluster|info',
  '+readonly',
  '+client|setname',
  '+client|getname',
  '+client|id',
  '+client|info',
];

export function aclUsers(prefix: string): Record<Service, AclUser> {
  const p = prefix;
  const events = `${p}:{*`;
  return {
    gate: {
      // Not `${p}:*`: the dashboard's sessions (`${p}:dash:*`) stay out of the gate's reach.
      keys: [events, `${p}:keys`, `${p}:signing-keys`, `${p}:place-secret`, `${p}:gates`],
      readKeys: [`${p}:events`],
      writeKeys: [],
      channels: [`${p}:*`],
      commands: [...BASE, '+@pubsub'],
      why: 'the line, admission, ticket signing (private keys, place secret), JWKS, gate reports',
    },
    checkout: {
      keys: [events],
      readKeys: [`${p}:events`],
      writeKeys: [],
      channels: [`${p}:*`],
      // subscribe/ssubscribe: revocations (control) and the digests of issued tickets (per event),
      // kept in memory to refuse junk at the door (checkout/src/purchase/issued.ts).
      commands: [...BASE, '+publish', '+spublish', '+subscribe', '+ssubscribe', '+unsubscribe', '+sunsubscribe'],
      why: 'purchase (event keys and its order queue); no signing keys, no place secret',
    },
    worker: {
      keys: [events],
      readKeys: [`${p}:events`],
      writeKeys: [],
      channels: [`${p}:*`],
      commands: [...BASE, '+publish', '+spublish'],
      why: 'order jobs, finalize, sweeper (event keys); no signing keys, no place secret',
    },
    dashboard: {
      keys: [events, `${p}:events`, `${p}:keys`, `${p}:gates`, `${p}:dash:*`],
      readKeys: [],
      writeKeys: [`${p}:signing-keys`],
      channels: [`${p}:*`],
      commands: [...BASE, '+@pubsub'],
      why: 'events, console, sessions, rotation (writes a sealed key, cannot read one); no place secret',
    },
  };
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * The ACL file: one line per service user (password stored as its SHA-256, `#<hex>`), an `admin`
 * user for operators and migrations, and the passwordless default user switched off.
 */
export function renderAcl(prefix: string, passwords: Record<Service | 'admin', string>): string {
  const users = aclUsers(prefix);
  // Redis ACL files take no comments: the why of each user is in users.ts and docs/SECURITY.md.
  const lines = [
    'user default off resetkeys resetchannels -@all',
    `user admin on #${sha256(passwords.admin)} ~* &* +@all`,
  ];
  for (const s of SERVICES) {
    const u = users[s];
    lines.push(
      [
        `user ${s} on #${sha256(passwords[s])} resetkeys resetchannels`,
        ...u.keys.map((k) => `~${k}`),
        ...u.readKeys.map((k) => `%R~${k}`),
        ...u.writeKeys.map((k) => `%W~${k}`),
        ...u.channels.map((c) => `&${c}`),
        ...u.commands,
      ].join(' '),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Development passwords (compose, npm start); production refuses them (docs/SECURITY.md). */
export const DEV_REDIS_PASSWORDS: Record<Service | 'admin', string> = {
  admin: 'dev-admin-change-me',
  gate: 'dev-gate-change-me',
  checkout: 'dev-checkout-change-me',
  worker: 'dev-worker-change-me',
  dashboard: 'dev-dashboard-change-me',
};
