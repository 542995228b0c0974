// Errors a GdbClient caller can tell apart: the stub said no, the stub went quiet, or the link is gone.

/** The stub answered `Exx` or an empty reply (unsupported packet). */
export class GdbStubError extends Error {
  override name = 'GdbStubError';
  constructor(
    message: string,
    /** The error number from `Exx`, or undefined for "unsupported" (empty reply). */
    readonly code?: number,
  ) {
    super(message);
  }
}

export class GdbTimeoutError extends Error {
  override name = 'GdbTimeoutError';
}

/** The connection ended (socket dropped, QEMU exited, detach, close) before or while a request ran. */
export class GdbClosedError extends Error {
  override name = 'GdbClosedError';
}
