import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { sendStartupRequests } from './boot/startup-requests';
import { makeClient } from './realtime/socket';
import '@fontsource-variable/inter';
import './styles.css';

// Before the first render: the session, the flags and the socket are on their way while React starts.
sendStartupRequests(() => makeClient(true));
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
