// `npm run migrate`: apply the SQL files in shared/migrations that are not applied yet.
import { checkoutSchema, createPool, loadConfigOrExit, migrate } from '@sluice/shared';

const config = loadConfigOrExit(checkoutSchema);
const pool = createPool(config.databaseUrl, { max: 1 });
try {
  const applied = await migrate(pool);
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema up to date\n');
} catch (err) {
  process.stderr.write(`migration failed: ${err instanceof Error ? `${err.message}: ${String(err.cause)}` : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
