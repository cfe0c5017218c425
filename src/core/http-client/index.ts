export { httpRequest, describeCode, HttpRequestError, type HttpRequest, type HttpResponse } from './request.js';
export { httpStream, type HttpStreamRequest } from './stream.js';
