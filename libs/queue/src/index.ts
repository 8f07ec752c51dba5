export * from './pipeline.queue';
