/* global process */
// Preloaded into each `tsx watch` process of `npm run dev`. Those run in their own
// process group, so a Ctrl-C reaches them once, as the supervisor's SIGTERM (tsx
// would SIGKILL the app on a second signal); this makes them stop too when the
// supervisor goes away without sending one (its IPC channel closes).
if (process.connected) process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
