/**
 * Runs node:test files with the spec reporter on stdout and counts what passed.
 * A TODO test (a target not met yet) and a skipped one count as neither, and are
 * named in the layer's summary line so that they are seen.
 */
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import type { LayerResult } from './integration';

interface TestEventData {
  details?: { type?: string };
  todo?: string | boolean;
  skip?: string | boolean;
}

export function runNodeTests(files: string[]): Promise<LayerResult> {
  return new Promise((resolve, reject) => {
    let passed = 0;
    let failed = 0;
    let todo = 0;
    let skipped = 0;
    const stream = run({ files, concurrency: 1 });
    stream.on('test:pass', (data: TestEventData) => {
      if (data.details?.type === 'suite') return;
      if (data.todo !== undefined && data.todo !== false) todo++;
      else if (data.skip !== undefined && data.skip !== false) skipped++;
      else passed++;
    });
    stream.on('test:fail', (data: TestEventData) => {
      if (data.details?.type === 'suite') return;
      if (data.todo !== undefined && data.todo !== false) todo++;
      else failed++;
    });
    const reporter = stream.compose(new spec());
    reporter.pipe(process.stdout, { end: false });
    const extra = () => [todo > 0 ? `${todo} todo` : '', skipped > 0 ? `${skipped} skipped` : ''].filter(Boolean).join(', ');
    reporter.on('end', () => resolve({ passed, failed, detail: `${files.length} files${extra() ? `; ${extra()}` : ''}` }));
    reporter.on('error', reject);
  });
}
