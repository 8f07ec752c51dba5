import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ClientConfigResponse } from '@taskflow/events';
import type { ServerConfig } from '../config';
import { ERROR_RESPONSES } from '../http/route-schema';
import type { LiveSwitch } from '../rollout/live-switch';

/**
 * GET /api/config: the public configuration the web app reads at start (feature flags; an org's repositories are
 * GET /api/repos). Signed in, `websocket` is also this user's place in the live rollout: a polling page asks again
 * every LIVE_RECHECK_SECONDS and goes live when it turns true (and is counted as polling meanwhile).
 */
export async function clientConfigRoutes(plain: FastifyInstance, deps: { config: ServerConfig; live?: LiveSwitch }): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { config, live } = deps;
  const schema = {
    tags: ['web'],
    description: "The web app's start-up configuration: feature flags (signed in: whether this user is rolled in to live updates).",
    response: { 200: ClientConfigResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/config', { schema }, async (request) => {
    let websocket = config.FEATURE_WEBSOCKET_ENABLED;
    // Optional sign-in: without one (or with an ended one) the flags are the deployment's, as before.
    const signedIn = await app.authenticate(request).then(
      () => true,
      () => false,
    );
    if (signedIn && live) {
      websocket = websocket && (await live.decide(request.user)).live;
      if (!websocket) live.notePolling(request.user);
    }
    return {
      features: {
        websocket,
        dashboard: websocket && config.FEATURE_WEBSOCKET_DASHBOARD,
        taskDetail: websocket && config.FEATURE_WEBSOCKET_TASK_DETAIL,
      },
    };
  });
}
