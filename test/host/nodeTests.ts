/** Runs node:test files with the spec reporter on stdout and counts what passed. */
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import type { LayerResult } from './integration';

interface TestEventData {
  details?: { type?: string };
}

export function runNodeTests(files: string[]): Promise<LayerResult> {
  return new Promise((resolve, reject) => {
    let passed = 0;
    let failed = 0;
    const stream = run({ files, concurrency: 1 });
    stream.on('test:pass', (data: TestEventData) => {
      if (data.details?.type !== 'suite') passed++;
    });
    stream.on('test:fail', (data: TestEventData) => {
      if (data.details?.type !== 'suite') failed++;
    });
    const reporter = stream.compose(new spec());
    reporter.pipe(process.stdout, { end: false });
    reporter.on('end', () => resolve({ passed, failed, detail: `${files.length} files` }));
    reporter.on('error', reject);
  });
}
