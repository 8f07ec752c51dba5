import { Redis } from 'ioredis';

/**
 * A Redis command still pending when its client is closed rejects with ioredis's "Connection is closed." and only
 * ioredis's own frames; unhandled, Jest blames it on whichever test file runs next in that worker. With friendly
 * stacks (every client of the test process, ours and the libraries'), the error names the code that sent it.
 */
// `defaultOptions` is what every new client starts from (static, typed private in ioredis 5).
(Redis as unknown as { defaultOptions: { showFriendlyErrorStack: boolean } }).defaultOptions.showFriendlyErrorStack = true;
