export { httpRequest, describeCode, HttpRequestError, type HttpRequest, type HttpResponse } from './request.js';
