export * from './test-database';
export * from './http-fake';
export * from './fake-openai';
export * from './fake-github';
export * from './processes';
export * from './api-client';
export * from './socket-client';
export * from './task-mirror';
