import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchSummary } from './bench-summary.ts';

describe('README bench summary', () => {
  it('shows a memory slope at or below zero as a failed measurement, not as a figure', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-summary-')), 'latest.json');
    writeFileSync(file, JSON.stringify({ profile: 'quick', baselineWsBytesPerConnection: -1746, baselineUwsBytesPerConnection: 353 }));
    const text = benchSummary(pathToFileURL(file));
    expect(text).toContain('| `ws` memory per connection (baseline) | failed measurement (-1,746 B read) |');
    expect(text).toContain('| WebSockets held by the gate | not measured |');
  });

  it('shows a positive median as a failed measurement when one of its readings was ≤ 0', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-summary-')), 'latest.json');
    writeFileSync(
      file,
      JSON.stringify({
        profile: 'quick',
        baselineWsBytesPerConnection: 2829,
        baselineMemoryReadingFailed: { ws: true, uws: false },
        baselineUwsBytesPerConnection: 353,
      }),
    );
    const text = benchSummary(pathToFileURL(file));
    expect(text).toContain(
      '| `ws` memory per connection (baseline) | failed measurement (2,829 B read, a reading ≤ 0) |',
    );
  });
});
