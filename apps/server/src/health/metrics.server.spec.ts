import { Registry } from 'prom-client';
import { buildMetricsServer } from './metrics.server';

describe('the metrics listener', () => {
  it('answers /live with 200 without asking any dependency, for the liveness probe', async () => {
    const server = buildMetricsServer(new Registry());
    try {
      const res = await server.inject({ method: 'GET', url: '/live' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ live: true });
    } finally {
      await server.close();
    }
  });
});
