/**
 * A module of an edge or cloud process (KubeEdge's beehive module). Its constructor only stores
 * its dependencies; `start()` resolves when the module is ready or throws; `stop()` undoes all
 * that `start()` did.
 */
export interface Module {
  readonly name: string;
  readonly group: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
