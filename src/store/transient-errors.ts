/**
 * Failures that say nothing about the request and will likely pass: the database connection
 * was cut (a failover, an operator ending backends, a network blip), the server is starting or
 * shutting down, or two transactions collided. A request that meets one is answered 503 with
 * Retry-After and a page that says to try again — not a bare 500 — and what it was writing in
 * a transaction was rolled back with it.
 */
const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, a fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

// knex puts the failing statement in front ("ROLLBACK - Connection terminated unexpectedly").
const TRANSIENT_MESSAGES = [
  /Connection terminated/, // pg: the socket closed under a query
  /Client has encountered a connection error and is not queryable/,
  /Knex: Timeout acquiring a connection/,
  /timeout exceeded when trying to connect/,
  /terminating connection due to administrator command/,
];

const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

export function isTransientDatabaseError(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; current = (current as { cause?: unknown }).cause, depth += 1) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SOCKET_CODES.has(code))) return true;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return true;
  }
  return false;
}
