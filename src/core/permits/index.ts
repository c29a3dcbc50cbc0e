export * from './model.js';
export * from './reducer.js';
export * from './tags.js';
