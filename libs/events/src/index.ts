export * from './status-machine';
export * from './task.schema';
export * from './server-events';
export * from './client-messages';
export * from './builders';
export * from './rooms';
export * from './queues';
export * from './validation';
