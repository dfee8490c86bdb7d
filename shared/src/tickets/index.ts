export * from './claims.ts';
export * from './dpop.ts';
export * from './keyring.ts';
export * from './seal.ts';
export * from './keys-source.ts';
export * from './sign.ts';
export * from './verify.ts';
export * from './record.ts';
