export { operatingBand, counterRate, isCounter, type SimProperty, type Band } from './plausible.js';
