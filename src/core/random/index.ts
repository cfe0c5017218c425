export { seededRandom } from './seeded.js';
