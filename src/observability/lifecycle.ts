/**
 * Whether this node is draining (shutting down). Readiness reports it first, so the load
 * balancer stops sending new requests while the ones already here are answered.
 */
export interface Lifecycle {
  draining(): boolean;
  startDraining(): void;
}

export function createLifecycle(): Lifecycle {
  let draining = false;
  return {
    draining: () => draining,
    startDraining: () => {
      draining = true;
    },
  };
}
