import { describe, expect, it } from 'vitest';
import { defineErrors, httpStatusOf, KedgeError, registeredErrorCodes } from './index.js';

describe('error catalogues', () => {
  it('give each code its hint and HTTP status (500 when none is given)', () => {
    const errors = defineErrors({
      KEDGE_TEST_GONE: { status: 404, hint: 'Look elsewhere.' },
      KEDGE_TEST_BROKEN: 'See the log.',
    });
    const gone = errors.create('KEDGE_TEST_GONE', 'device a/b does not exist');
    expect(gone).toMatchObject({ code: 'KEDGE_TEST_GONE', status: 404, hint: 'Look elsewhere.' });
    expect(errors.create('KEDGE_TEST_BROKEN', 'x').status).toBe(500);
    expect(httpStatusOf(gone)).toBe(404);
    expect(httpStatusOf(new Error('plain'))).toBe(500);
    expect(registeredErrorCodes().get('KEDGE_TEST_GONE')).toEqual({ status: 404, hint: 'Look elsewhere.' });
  });

  it('refuse a code defined in a second catalogue', () => {
    defineErrors({ KEDGE_TEST_TWICE: { status: 400, hint: 'One.' } });
    expect(() => defineErrors({ KEDGE_TEST_TWICE: { status: 409, hint: 'Two.' } })).toThrow(/two catalogues/);
  });

  it('a KedgeError made by hand (an answer from another process) keeps the status it came with', () => {
    expect(new KedgeError('KEDGE_SERVICEBUS_FORBIDDEN', 'no', { status: 403 }).status).toBe(403);
  });
});
