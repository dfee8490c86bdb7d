// `npm run redis:acl`: writes deploy/redis/users.acl from shared/src/acl/users.ts. Passwords come
// from REDIS_PASSWORD_ADMIN / _GATE / _CHECKOUT / _WORKER / _DASHBOARD (only their SHA-256 goes
// into the file); unset ones are the development passwords, which production refuses. Set
// SLUICE_PREFIX if you use another key prefix, ACL_OUT to write elsewhere (e.g. a secret volume).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEV_REDIS_PASSWORDS, renderAcl } from '@sluice/shared/acl/users.ts';

export const ACL_PATH = fileURLToPath(new URL('./users.acl', import.meta.url));

export function aclFromEnv(env: NodeJS.ProcessEnv): string {
  const pw = (name: keyof typeof DEV_REDIS_PASSWORDS) =>
    env[`REDIS_PASSWORD_${name.toUpperCase()}`] || DEV_REDIS_PASSWORDS[name];
  return renderAcl(env.SLUICE_PREFIX || 'sluice', {
    admin: pw('admin'),
    gate: pw('gate'),
    checkout: pw('checkout'),
    worker: pw('worker'),
    dashboard: pw('dashboard'),
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.env.ACL_OUT || ACL_PATH;
  writeFileSync(out, aclFromEnv(process.env));
  console.log(`wrote ${out}`);
}
