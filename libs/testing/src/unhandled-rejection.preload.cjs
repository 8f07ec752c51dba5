/* global process */
// Test-only: loaded into a spawned app with NODE_OPTIONS=--require (never by the apps themselves).
// On SIGUSR2 it leaves a rejected promise unhandled, the way a forgotten failed I/O call would.
process.on('SIGUSR2', () => {
  void Promise.reject(new Error('test-only unhandled rejection'));
});
