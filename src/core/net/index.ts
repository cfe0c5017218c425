export { closeServer, listen } from './listen.js';
