export { startOpcuaSim, type OpcuaSim, type OpcuaSimOptions } from './server.js';
export { loadOpcuaInstances } from './load-model.js';
export { generatedNodeIds, type GeneratedOptions } from './generated.js';
