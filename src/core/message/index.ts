export * from './types.js';
export {
  newMessage,
  buildResponse,
  buildResource,
  parseResource,
  type NewMessageOptions,
  type ParsedResource,
} from './build.js';
export { parseMessage, checkMessage, serializeMessage, type ParseResult } from './parse.js';
export { messageErrors } from './errors.js';
