// Preloaded into the gate's worker processes by the bench (NODE_OPTIONS="--import <this file>
// --expose-gc" with SLUICE_MEM_DIR set), so the bench can split a worker's memory into V8 heap,
// external memory and the rest of its RSS: on SIGWINCH it writes v8.getHeapStatistics() to
// <dir>/mem-<pid>.json; on SIGPWR it first runs full GCs. The file is opened at start-up: a
// worker holding ~20,000 sockets is at its open-file limit, where process.memoryUsage() itself
// fails (EMFILE reading /proc/self/stat). Production gates never load it.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const dir = process.env.SLUICE_MEM_DIR;
if (dir) {
  const fd = openSync(`${dir}/mem-${process.pid}.json`, 'w');
  const dump = (gc) => {
    if (gc && typeof globalThis.gc === 'function') globalThis.gc();
    const body = Buffer.from(JSON.stringify({
      at: Date.now(),
      gc,
      ...getHeapStatistics(),
      spaces: Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, x.physical_space_size])),
    }));
    ftruncateSync(fd, 0);
    writeSync(fd, body, 0, body.length, 0);
  };
  process.on('SIGWINCH', () => dump(false));
  // Three full GCs 100 ms apart, as the baselines' servers do (baseline/ws-server.ts): a socket's
  // native half is freed by a weak callback the first GC only schedules.
  process.on('SIGPWR', () => {
    if (typeof globalThis.gc === 'function') globalThis.gc();
    setTimeout(() => {
      if (typeof globalThis.gc === 'function') globalThis.gc();
      setTimeout(() => dump(true), 100);
    }, 100);
  });
  // Written once at start: the bench signals a worker only after this file exists (SIGPWR's
  // default action ends a process that has no handler yet).
  dump(false);
  process.on('exit', () => closeSync(fd));
}
