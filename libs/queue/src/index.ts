export * from './pipeline.queue';
export * from './retry-policy';
export * from './parked-jobs';
export * from './redis-client';
