export * from './meta.js';
export * from './vulnerability-report.js';
export * from './vulnerability-scanner.js';
