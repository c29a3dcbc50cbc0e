export * from './cron-service.js';
export * from '../java-compat.js';
export * from './time.js';
