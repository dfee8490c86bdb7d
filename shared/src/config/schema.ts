// Typed configuration: every key has an env name, a default and a doc line; a service's config
// is parsed once at boot, validated and frozen. A bad value stops the process naming the variable.
import { isIP } from 'node:net';
import { productionProblems } from './production.ts';

export interface Field<T> {
  readonly env: string;
  readonly doc: string;
  readonly default: T;
  /** Human description of the accepted form, used in error messages and the README table. */
  readonly form: string;
  readonly parse: (raw: string) => T;
  /** Marks secrets so the config dump never prints them. */
  readonly secret?: boolean;
}

export type Schema = Record<string, Field<unknown>>;
export type ConfigOf<S extends Schema> = { readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, form: string, raw: string) {
    super(`${variable} must be ${form} (got ${JSON.stringify(raw)})`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

const fail = (): never => {
  throw new TypeError('invalid');
};

export function int(
  env: string,
  def: number,
  doc: string,
  range: { min?: number; max?: number } = {},
): Field<number> {
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  return {
    env,
    doc,
    default: def,
    form: `an integer from ${min} to ${max}`,
    parse: (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) fail();
      const n = Number(raw);
      return n >= min && n <= max ? n : fail();
    },
  };
}

export function num(
  env: string,
  def: number,
  doc: string,
  range: { min?: number; max?: number } = {},
): Field<number> {
  const min = range.min ?? -Infinity;
  const max = range.max ?? Infinity;
  return {
    env,
    doc,
    default: def,
    form: `a number from ${min} to ${max}`,
    parse: (raw) => {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) && n >= min && n <= max ? n : fail();
    },
  };
}

export function str(
  env: string,
  def: string,
  doc: string,
  opts: { pattern?: RegExp; form?: string; secret?: boolean } = {},
): Field<string> {
  return {
    env,
    doc,
    default: def,
    form: opts.form ?? (opts.pattern ? `a string matching ${opts.pattern}` : 'a string'),
    secret: opts.secret,
    parse: (raw) => (opts.pattern && !opts.pattern.test(raw) ? fail() : raw),
  };
}

export function url(env: string, def: string, doc: string, protocols: readonly string[]): Field<string> {
  return {
    env,
    doc,
    default: def,
    form: `a URL with scheme ${protocols.map((p) => `${p}//`).join(' or ')}`,
    parse: (raw) => {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        return fail();
      }
      return protocols.includes(u.protocol) && u.hostname !== '' ? raw : fail();
    },
  };
}

export function bool(env: string, def: boolean, doc: string): Field<boolean> {
  return {
    env,
    doc,
    default: def,
    form: 'true or false',
    parse: (raw) => (raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : fail()),
  };
}

export function oneOf<const T extends string>(env: string, def: T, doc: string, values: readonly T[]): Field<T> {
  return {
    env,
    doc,
    default: def,
    form: `one of ${values.join(', ')}`,
    parse: (raw) => ((values as readonly string[]).includes(raw) ? (raw as T) : fail()),
  };
}

export function list(env: string, def: readonly string[], doc: string): Field<readonly string[]> {
  return {
    env,
    doc,
    default: def,
    form: 'a comma-separated list',
    parse: (raw) =>
      Object.freeze(
        raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  };
}

/** A comma-separated list of IP addresses or CIDR blocks (`10.0.0.0/8`, `::1`). */
export function cidrList(env: string, def: readonly string[], doc: string): Field<readonly string[]> {
  const base = list(env, def, doc);
  return {
    ...base,
    form: 'a comma-separated list of IP addresses or CIDRs',
    parse: (raw) => {
      const items = base.parse(raw);
      for (const item of items) {
        const [addr = '', bits, extra] = item.split('/');
        const v = isIP(addr);
        const max = v === 4 ? 32 : 128;
        if (!v || extra !== undefined || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > max))) fail();
      }
      return items;
    },
  };
}

/** A comma-separated list of `host:port` (Redis Cluster seed nodes); empty = none. */
export function hostPorts(env: string, doc: string): Field<readonly string[]> {
  return {
    env,
    doc,
    default: [],
    form: 'a comma-separated list of host:port',
    parse: (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const it of items) {
        const m = /^([A-Za-z0-9.-]{1,253}|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(it);
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) fail();
      }
      return Object.freeze(items);
    },
  };
}

/**
 * Parse `env` against `schema`; unset or empty variables take the default.
 * @example const cfg = loadConfig(gateSchema); cfg.port // number
 */
export function loadConfig<S extends Schema>(schema: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema)) {
    const raw = env[field.env];
    if (raw === undefined || raw === '') {
      out[key] = field.default;
      continue;
    }
    try {
      out[key] = field.parse(raw);
    } catch {
      throw new ConfigError(field.env, field.form, raw);
    }
  }
  return Object.freeze(out) as ConfigOf<S>;
}

/**
 * Boot helper: load or print one line naming the bad variable and exit(2). With
 * NODE_ENV=production it also refuses development settings (production.ts).
 */
export function loadConfigOrExit<S extends Schema>(schema: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  try {
    const config = loadConfig(schema, env);
    const problems = productionProblems(schema, env);
    if (problems.length > 0) {
      process.stderr.write(`sluice: refusing to start in production: ${problems.join('; ')}\n`);
      process.exit(2);
    }
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sluice: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
