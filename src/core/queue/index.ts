export * from './model.js';
export * from './reducer.js';
