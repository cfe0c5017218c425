export { EdgeDashboard } from './module.js';
