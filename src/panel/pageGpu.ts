/**
 * The host's side of the histogram page's GPU sampler (no `vscode` import):
 * it asks the page to sample a plan (`gpuSample`), matches the answers by id,
 * checks each against its request, and says why not whenever the page does
 * not sample: no GPU there (remembered for the page's life, so later layers
 * go straight to the host), a scheme it does not sample, no answer in time.
 */
import { LIMITS, limitText } from '../core/limits';
import { answerProblem, gpuRequestFor, type GpuSampleAnswer, type GpuSampleRequest } from '../core/sampling/gpuSample';
import type { SamplingPlan } from '../core/sampling/plan';
import type { HostMessage, PageMessage } from '../webview/protocol';

export type PageGpuResult = { readonly answer: GpuSampleAnswer } | { readonly reason: string };

interface Waiting {
  readonly request: GpuSampleRequest;
  readonly resolve: (result: PageGpuResult) => void;
}

/** The panel's one line for a histogram the page sampled: "sampled on the GPU in the panel: webgl (SwiftShader)". */
export function gpuLine(answer: Pick<GpuSampleAnswer, 'backend' | 'device'>): string {
  return `sampled on the GPU in the panel: ${answer.backend}${answer.device ? ` (${answer.device})` : ''}`;
}

export class PageGpu {
  private nextId = 0;
  private readonly waiting = new Map<number, Waiting>();
  /** Why the page has no GPU, once it said so: it is not asked again until it reloads. */
  private noGpu: string | undefined;

  constructor(
    private readonly post: (message: HostMessage) => void,
    private readonly waitMs: number = LIMITS.panelGpuWait.value,
  ) {}

  /**
   * Samples `plan` on the page's GPU (a software renderer too when
   * `software`), or resolves with why not (the caller
   * then samples in the host). Rejects with the signal's reason when aborted,
   * after telling the page to stop.
   */
  sample(plan: SamplingPlan, signal: AbortSignal, software = false): Promise<PageGpuResult> {
    if (this.noGpu !== undefined) return Promise.resolve({ reason: this.noGpu });
    const built = gpuRequestFor(plan, ++this.nextId, { software });
    if ('reason' in built) return Promise.resolve(built);
    const request = built.request;
    if (signal.aborted) return Promise.reject(signal.reason ?? new DOMException('sampling was cancelled', 'AbortError'));
    return new Promise<PageGpuResult>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiting.delete(request.id);
      };
      const timer = setTimeout(() => {
        done();
        this.noGpu = `the panel did not answer within ${limitText('panelGpuWait')}`;
        this.post({ type: 'gpuCancel', id: request.id });
        resolve({ reason: this.noGpu });
      }, this.waitMs);
      const onAbort = () => {
        done();
        this.post({ type: 'gpuCancel', id: request.id });
        reject(signal.reason ?? new DOMException('sampling was cancelled', 'AbortError'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(request.id, {
        request,
        resolve: (result) => {
          done();
          resolve(result);
        },
      });
      this.post({ type: 'gpuSample', request });
    });
  }

  /** A checked `gpuSampled` or `gpuUnavailable` from the page; an answer nobody waits for (cancelled, superseded) is dropped. */
  onMessage(message: Extract<PageMessage, { type: 'gpuSampled' | 'gpuUnavailable' }>): void {
    const id = message.type === 'gpuSampled' ? message.answer.id : message.id;
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    if (message.type === 'gpuUnavailable') {
      if (message.reason.startsWith('no GPU')) this.noGpu = message.reason;
      waiting.resolve({ reason: message.reason });
      return;
    }
    const problem = answerProblem(waiting.request, message.answer);
    waiting.resolve(problem === undefined ? { answer: message.answer } : { reason: `the panel's GPU answer was refused: ${problem}` });
  }

  /** Every request in flight falls back to the host with `reason` (a malformed answer, the page reloaded or closed). */
  fail(reason: string): void {
    for (const w of [...this.waiting.values()]) w.resolve({ reason });
  }

  /** The page reloaded: it may have a GPU now. */
  forget(): void {
    this.fail('the panel reloaded');
    this.noGpu = undefined;
  }
}
