// How code outside the run core follows a run (the traffic views, the CLI's trace file): the core calls
// these and never imports who listens.
import type { RedisTarget } from '../redis/target';
import type { AppRoute } from './routes';

export interface RunObserver {
  /**
   * QEMU has started (the guest may not answer yet): where it will serve, the Redis it uses, and the
   * app's routes, a list the session fills as the kernel logs them at boot (read it when needed).
   */
  runStarted?(run: { url: string; redis: RedisTarget; routes: readonly AppRoute[] }): void;
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
