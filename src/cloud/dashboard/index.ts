export { CloudDashboard, type CloudDashboardOptions } from './module.js';
