import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './schema.ts';
import { allSchemas, checkoutSchema, gateSchema } from './services.ts';

describe('loadConfig', () => {
  it('takes defaults when variables are unset or empty', () => {
    const cfg = loadConfig(gateSchema, { GATE_PORT: '' });
    expect(cfg.port).toBe(8080);
    expect(cfg.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('parses typed values', () => {
    const cfg = loadConfig(gateSchema, { GATE_PORT: '9000', GATE_SERVE_PAGE: 'false', GATE_DEV_ORIGINS: 'http://a, http://b' });
    expect(cfg.port).toBe(9000);
    expect(cfg.servePage).toBe(false);
    expect(cfg.devOrigins).toEqual(['http://a', 'http://b']);
  });

  it.each([
    ['GATE_PORT', 'abc', /GATE_PORT must be an integer from 0 to 65535/],
    ['GATE_PORT', '70000', /GATE_PORT/],
    ['GATE_PORT', '8080.5', /GATE_PORT/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL must be a URL with scheme redis:\/\/ or rediss:\/\//],
    ['REDIS_URL', 'http://x', /REDIS_URL/],
    ['GATE_SERVE_PAGE', 'yes', /GATE_SERVE_PAGE must be true or false/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
    ['SLUICE_PREFIX', 'a:b', /SLUICE_PREFIX/],
  ])('%s=%s fails naming the variable', (name, value, message) => {
    expect(() => loadConfig(gateSchema, { [name]: value })).toThrow(message);
    try {
      loadConfig(gateSchema, { [name]: value });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(name);
    }
  });

  it('rejects a malformed DATABASE_URL and a fractional decline rate out of range', () => {
    expect(() => loadConfig(checkoutSchema, { DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig(allSchemas.worker, { PAYMENT_DECLINE_RATE: '1.5' })).toThrow(/PAYMENT_DECLINE_RATE/);
  });

  it('gives every field a unique env name per schema, a doc line and a valid default', () => {
    for (const schema of Object.values(allSchemas)) {
      const names = Object.values(schema).map((f) => f.env);
      expect(new Set(names).size).toBe(names.length);
      for (const field of Object.values(schema)) {
        expect(field.doc.length).toBeGreaterThan(5);
        expect(field.env).toMatch(/^[A-Z][A-Z0-9_]+$/);
      }
      // Defaults round-trip through the parser (empty string defaults are "unset").
      const env = Object.fromEntries(
        Object.values(schema)
          .filter((f) => f.default !== '' && !(Array.isArray(f.default) && f.default.length === 0))
          .map((f) => [f.env, Array.isArray(f.default) ? f.default.join(',') : String(f.default)]),
      );
      expect(() => loadConfig(schema, env)).not.toThrow();
    }
  });
});
