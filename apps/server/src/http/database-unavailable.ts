/**
 * Whether an error means "PostgreSQL cannot be reached right now" (restarting, stopped, out of
 * connections) rather than a bug: such a request may be retried, so it deserves a 503, not a 500.
 * SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, crash, cannot connect now),
 * 53300 (too many connections), and the socket errors of a server that is not there.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_ERRORS.has(code)))
    return true;
  // pg's own messages for a pool that cannot get a connection or one that dropped under a query.
  return typeof message === 'string' && /^(Connection terminated|timeout exceeded when trying to connect)/.test(message);
}
