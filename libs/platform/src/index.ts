export * from './app-error';
export * from './config';
export * from './deadline';
export * from './github-host';
export * from './logger';
export * from './shutdown';
export * from './supervised';
export * from './process-guards';
