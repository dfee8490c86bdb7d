// Guard for "nothing unbounded into one call": finds `...x` spread into the arguments of a Redis
// command (zadd, del, unlink, ...) or into the argument array of runScript/pipeScript, and
// accepts it only when it is visibly bounded: a `.slice(...)` of the list (or a name assigned
// from one in the same file), the fixed key set `Object.values(eventKeys(...))`, a rest
// parameter passed on (its callers are checked), or a line marked `// bounded: <why>`. V8 throws RangeError past ~120k spread arguments, and Redis
// blocks every client while one huge command or script runs.

/** Redis commands that take a variable number of arguments. */
const VARIADIC =
  /^(zadd|zrem|zmscore|del|unlink|exists|sadd|srem|smismember|hdel|hset|hmset|hmget|mget|mset|lpush|rpush|xadd|watch|subscribe|psubscribe|ssubscribe|unsubscribe|sunsubscribe|eval|evalsha|call|send_command|sendCommand)$/;
const SCRIPT_CALL = /^(runScript|pipeScript)$/;

export interface SpreadFinding {
  line: number;
  callee: string;
  operand: string;
}

interface Frame {
  open: '(' | '[' | '{';
  /** Callee of a '(' that is a call, else ''. */
  callee: string;
}

/** Unbounded spreads into Redis calls in one source text. */
export function findUnboundedSpreads(src: string): SpreadFinding[] {
  const sliced = new Set<string>();
  // A rest parameter passed on carries its callers' arguments: those calls are checked where made.
  const rest = new Set<string>();
  for (const m of src.matchAll(/\.\.\.(\w+)\s*:/g)) rest.add(m[1]!);
  for (const m of src.matchAll(/\b(?:const|let|var)\s+(\w+)\s*=\s*[\w.[\]!]+\.slice\(/g)) sliced.add(m[1]!);
  // A map or filter of a slice is no longer than the slice.
  for (const m of src.matchAll(/\b(?:const|let|var)\s+(\w+)\s*=\s*(\w+)\.(?:map|filter)\(/g))
    if (sliced.has(m[2]!)) sliced.add(m[1]!);
  const lines = src.split('\n');
  const marked = (line: number): boolean =>
    /\/\/ bounded:/.test(lines[line - 1] ?? '') || /\/\/ bounded:/.test(lines[line - 2] ?? '');
  const out: SpreadFinding[] = [];
  const stack: Frame[] = [];
  let line = 1;
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') line++;
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let j = i; j < stop; j++) if (src[j] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < n && src[j] !== c) {
        if (src[j] === '\\') j++;
        else if (src[j] === '\n') line++;
        j++;
      }
      i = j + 1;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') {
      stack.push({ open: c, callee: c === '(' ? calleeBefore(src, i) : '' });
    } else if (c === ')' || c === ']' || c === '}') {
      stack.pop();
    } else if (c === '.' && src.startsWith('...', i)) {
      const top = stack.at(-1);
      const parent = stack.at(-2);
      const intoCommand = top?.open === '(' && VARIADIC.test(lastSegment(top.callee));
      const intoScriptArgs = top?.open === '[' && parent?.open === '(' && SCRIPT_CALL.test(parent.callee);
      if (intoCommand || intoScriptArgs) {
        const operand = operandAt(src, i + 3);
        const bounded =
          /^\w+\s*:/.test(operand) ||
          rest.has(operand) ||
          /\.slice\(/.test(operand) ||
          (sliced.has(/^\w+/.exec(operand)?.[0] ?? '') && /^\w+(\.(map|filter)\(.*)?$/s.test(operand)) ||
          /^Object\.values\(eventKeys\(/.test(operand) ||
          marked(line);
        if (!bounded) out.push({ line, callee: (intoCommand ? top : parent)!.callee, operand });
      }
      i += 3;
      continue;
    }
    i++;
  }
  return out;
}

function lastSegment(callee: string): string {
  return callee.split('.').at(-1) ?? '';
}

/** The dotted name before a '(' at `at` (e.g. `g.redis.zadd`), or '' when it is no call. */
function calleeBefore(src: string, at: number): string {
  let j = at - 1;
  while (j >= 0 && src[j] === ' ') j--;
  if (src[j] === '!') j--;
  let k = j;
  while (k >= 0 && /[\w$.]/.test(src[k]!)) k--;
  const name = src.slice(k + 1, j + 1);
  if (!name || /^(if|for|while|switch|catch|function|return|await|typeof|new)$/.test(name)) return '';
  return name.replace(/^\./, '');
}

/** The expression after a spread, up to the next top-level ',' or closing bracket. */
function operandAt(src: string, from: number): string {
  let depth = 0;
  let j = from;
  for (; j < src.length; j++) {
    const c = src[j]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) break;
  }
  return src.slice(from, j).trim();
}
