import { configure } from '@testing-library/react';

// findBy* and waitFor give up after 1 s by default: too tight for jsdom on a busy 2-core machine.
// A ceiling for what should happen, not a wait: they return as soon as the condition holds.
configure({ asyncUtilTimeout: 5000 });
