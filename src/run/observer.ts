// How code outside the run core follows a run (the traffic views, the CLI's trace file): the core calls
// these and never imports who listens.
import type { RedisTarget } from '../redis/target';

export interface RunObserver {
  /** QEMU has started (the guest may not answer yet): where it will serve and the Redis it uses. */
  runStarted?(run: { url: string; redis: RedisTarget }): void;
  /**
   * One line of the guest's trace port (docs/TRACE.md), without its line end, in the order written.
   * The trace port is opened only when some observer takes lines.
   */
  traceLine?(line: string): void;
  /** QEMU has ended and every trace line has been delivered; `why` describes the end. */
  runEnded?(why: string): void;
}

/** Calls `notify` on each observer; a throw is reported through `onError`, never raised (a view must not end a run). */
export function notifyAll(observers: readonly RunObserver[], notify: (o: RunObserver) => void, onError: (err: Error) => void): void {
  for (const o of observers) {
    try {
      notify(o);
    } catch (err) {
      onError(err as Error);
    }
  }
}
