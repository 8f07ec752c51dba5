export * from './config';
export * from './net';
export * from './postgres';
export * from './redis';
export * from './services';
export * from './stack';
