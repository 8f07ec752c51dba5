import { isDatabaseUnavailable } from './database-unavailable';

describe('isDatabaseUnavailable', () => {
  it.each([
    [{ code: '57P01', message: 'terminating connection due to administrator command' }],
    [{ code: '57P03', message: 'the database system is starting up' }],
    [{ code: '08006', message: 'connection failure' }],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }],
    [new Error('Connection terminated unexpectedly')],
    [new Error('timeout exceeded when trying to connect')],
  ])('%o is an outage (retryable)', (err) => expect(isDatabaseUnavailable(err)).toBe(true));

  it.each([[{ code: '23505', message: 'duplicate key' }], [new TypeError('x is undefined')], [undefined], ['text']])('%o is not', (err) =>
    expect(isDatabaseUnavailable(err)).toBe(false),
  );
});
