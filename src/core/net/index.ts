export { closeServer, listen, listenPath } from './listen.js';
