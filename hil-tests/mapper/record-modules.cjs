// Preload for the lazy-driver test: on exit, writes every CommonJS module the process loaded
// (node-opcua, modbus-serial and serialport are CommonJS, so they show up here however they
// were imported) to the file named by KEDGE_TEST_MODULES_FILE.
const { writeFileSync } = require('node:fs');
const Module = require('node:module');
process.on('exit', () => {
  writeFileSync(process.env.KEDGE_TEST_MODULES_FILE, JSON.stringify(Object.keys(Module._cache)));
});
