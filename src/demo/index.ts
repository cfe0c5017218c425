export { runDemo, DEMO_DEFAULTS, type DemoOptions, type DemoIo } from './run-demo.js';
export { ChildSet, selfInvocation, type Invocation, type ManagedChild } from './children.js';
export { prepareDemoDevice, exampleValue, DEMO_MODELS, type DemoDevice, type DemoProtocol } from './devices.js';
export { assertPortFree, freePort, portAnswers } from './ports.js';
export { TelemetryView, parseTelemetry } from './telemetry-view.js';
export { LiveScreen } from './screen.js';
