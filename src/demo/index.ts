export { runDemo, DEMO_DEFAULTS, type DemoOptions, type DemoIo } from './run-demo.js';
export { ChildSet, selfInvocation, type Invocation, type ManagedChild } from './children.js';
export {
  prepareDemoDevice,
  exampleValue,
  DEMO_DEVICES,
  type DemoDevice,
  type DemoDeviceKind,
  type DemoProtocol,
} from './devices.js';
export { Dashboard } from './dashboard.js';
export { renderFrame, formatValue } from './dashboard-view.js';
export { assertPortFree, freePort, portAnswers } from './ports.js';
export { TelemetryView, parseTelemetry } from './telemetry-view.js';
export { LiveScreen } from './screen.js';
