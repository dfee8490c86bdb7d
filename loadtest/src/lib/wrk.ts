// wrk (Debian package `wrk`, C, one event loop per thread) as a second load generator: on two
// shared cores autocannon (Node) spends about as much CPU as the server it drives, so for the
// cheap paths (junk tickets, hello world) wrk shows how much the server itself can take.
// Tickets are cycled from a file by a Lua script; every non-2xx answer counts as `non2xx`.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { round } from './hist.ts';

export interface WrkResult {
  tool: 'wrk';
  threads: number;
  connections: number;
  seconds: number;
  requests: number;
  perSecond: number;
  /** Answers outside 2xx/3xx (a junk run expects all of them to be). */
  non2xx: number;
  errors: { connect: number; read: number; write: number; timeout: number };
  latencyMs: { p50: number; p99: number; max: number };
}

export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version.
    return (err as { status?: number }).status === 1;
  }
}

const SCRIPT = `
local tickets = {}
local f = os.getenv("WRK_TICKETS")
if f and f ~= "" then for line in io.lines(f) do if #line > 0 then tickets[#tickets + 1] = line end end end
local method = os.getenv("WRK_METHOD") or "GET"
local path = os.getenv("WRK_PATH") or "/"
local body = os.getenv("WRK_BODY")
local i = 0
function init(args) i = math.random(math.max(#tickets, 1)) end
function request()
  local h = { ["Content-Type"] = "application/json" }
  if #tickets > 0 then
    i = i % #tickets + 1
    h["Authorization"] = "Bearer " .. tickets[i]
  end
  return wrk.format(method, path, h, body)
end
function done(s, latency, requests)
  io.write(string.format('WRKJSON{"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%d,"p99":%d,"max":%d}\\n',
    s.requests, s.duration, s.errors.status, s.errors.connect, s.errors.read, s.errors.write, s.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

/** Run wrk for `seconds` against `url` + `path`; `ticketsFile` lines are sent as bearer tokens, cycled. */
export async function runWrk(o: {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  ticketsFile?: string;
  seconds: number;
  connections: number;
  threads: number;
}): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-wrk-'));
  const script = join(dir, 'run.lua');
  writeFileSync(script, SCRIPT);
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'wrk',
        [
          '-t',
          String(o.threads),
          '-c',
          String(o.connections),
          '-d',
          `${o.seconds}s`,
          '--timeout',
          '10s',
          '-s',
          script,
          o.url,
        ],
        {
          env: {
            ...process.env,
            WRK_TICKETS: o.ticketsFile ?? '',
            WRK_METHOD: o.method,
            WRK_PATH: o.path,
            WRK_BODY: o.body ?? '',
          },
          timeout: (o.seconds + 30) * 1000,
          maxBuffer: 1 << 20,
        },
        (err, stdout, stderr) =>
          err ? reject(new Error(`wrk failed: ${err.message} ${stderr}`)) : resolve(stdout),
      );
    });
    const m = /WRKJSON(\{.*\})/.exec(out);
    if (!m) throw new Error(`wrk printed no summary: ${out.slice(-500)}`);
    const j = JSON.parse(m[1]!) as Record<string, number>;
    const seconds = j.duration_us! / 1e6;
    return {
      tool: 'wrk',
      threads: o.threads,
      connections: o.connections,
      seconds: round(seconds),
      requests: j.requests!,
      perSecond: seconds > 0 ? Math.round(j.requests! / seconds) : 0,
      non2xx: j.non2xx!,
      errors: { connect: j.connect!, read: j.read!, write: j.write!, timeout: j.timeout! },
      latencyMs: { p50: round(j.p50! / 1000), p99: round(j.p99! / 1000), max: round(j.max! / 1000) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
