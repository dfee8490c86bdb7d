// The checkout API in its own process for the bench, trusting the bench's test key
// (BENCH_JWKS: a JWKS JSON) through LocalKeys instead of fetching a gate's JWKS.
import { checkoutSchema, loadConfigOrExit, LocalKeys } from '@sluice/shared';
import { startCheckout } from '../../../checkout/src/app.ts';

const config = loadConfigOrExit(checkoutSchema);
const keys = await LocalKeys.from(JSON.parse(process.env.BENCH_JWKS ?? '{"keys":[]}'));
const app = await startCheckout(config, { keys });
process.send?.({ t: 'ready', port: app.port });
const stop = async () => {
  await app.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
