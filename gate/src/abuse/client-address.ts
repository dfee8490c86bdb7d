// The client address a join is counted against: one implementation in shared/ (the dashboard's
// login limiter uses it too), re-exported where the gate's abuse defences import it.
export { addressKey, clientAddress, TrustedProxies } from '@sluice/shared/net/client-address.ts';
