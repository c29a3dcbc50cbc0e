/** Resend backoff and request deadline both transports fall back to (a node passes its config's). */
export const TRANSPORT_RETRY_DEFAULTS = { retryBaseMs: 5, retryMaxMs: 250 } as const;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
