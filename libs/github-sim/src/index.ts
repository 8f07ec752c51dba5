export * from './payloads';
export * from './send';
export * from './sign';
export * from './activity-payloads';
