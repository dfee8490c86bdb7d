export * from './admit-endpoint.ts';
export * from './constants.ts';
export * from './guard.ts';
export * from './middleware.ts';
