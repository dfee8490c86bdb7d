export * from './close-codes.ts';
export * from './errors.ts';
export * from './ws.ts';
export * from './http.ts';
export * from './estimate.ts';
