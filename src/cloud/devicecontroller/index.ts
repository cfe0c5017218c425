export { DeviceController, type DeviceControllerOptions } from './devicecontroller.js';
export { deviceControllerErrors } from './errors.js';
export { WriteCoalescer } from './coalescer.js';
export { notReady } from './devicecontroller.js';
