// @sluice/shared: protocol, config, keys, Lua, tickets, events, logging and metrics.
export * from './config/index.ts';
export * from './db/index.ts';
export * from './events/index.ts';
export * from './keys.ts';
export * from './lua/codes.ts';
export * from './observability/index.ts';
export * from './protocol/index.ts';
export * from './redis.ts';
export * from './storefront/index.ts';
export * from './tickets/index.ts';
export * from './tickets/admission.ts';
export * from './fairness/index.ts';
export * from './web/favicon.ts';
export * from './net/client-address.ts';
export * from './lanes/index.ts';
