// HTTP from a chosen source address (fetch cannot bind one): a shopper at 127.0.0.x.
import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  text: string;
  json<T = unknown>(): T;
}

export function httpFrom(
  localAddress: string,
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, localAddress, agent: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The value of an unlabelled (or summed) metric in a Prometheus text exposition. */
export function metricValue(exposition: string, name: string): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m?.[1] === name) total += Number(m[3]);
  }
  return total;
}
