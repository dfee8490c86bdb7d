// Prints the README's configuration table from the config schemas (one source of truth).
// `node --import tsx scripts/config-table.ts` — a test checks the README carries this table.
import { allSchemas, type Field } from '@sluice/shared';

export function configTable(): string {
  const rows = new Map<string, { services: string[]; field: Field<unknown> }>();
  for (const [service, schema] of Object.entries(allSchemas)) {
    for (const field of Object.values(schema) as Field<unknown>[]) {
      const row = rows.get(field.env) ?? { services: [], field };
      row.services.push(service);
      rows.set(field.env, row);
    }
  }
  const fmt = (f: Field<unknown>) => {
    if (f.secret) return f.default === '' ? '(generated)' : '(secret)';
    const d = Array.isArray(f.default) ? f.default.join(',') : String(f.default);
    return d === '' ? '(empty)' : `\`${d}\``;
  };
  const lines = ['| variable | services | default | meaning |', '|---|---|---|---|'];
  for (const [env, { services, field }] of rows) {
    const who = services.length === Object.keys(allSchemas).length ? 'all' : services.join(', ');
    lines.push(`| \`${env}\` | ${who} | ${fmt(field)} | ${field.doc}; ${field.form} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${configTable()}\n`);
