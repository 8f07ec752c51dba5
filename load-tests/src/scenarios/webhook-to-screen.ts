import { LightSocket } from '../client/light-socket';
import type { TaskDriver } from '../drive/task-driver';
import { PrArrivals } from '../measure/pr-arrivals';
import { dashboardPlans, type ScenarioContext } from './context';
import { productPhase } from './product-phase';
import type { ScenarioOutcome } from './scenarios';

/**
 * Issue 21 point 7, "PR link within 1 s of GitHub's webhook": N dashboard sockets watch the orgs while
 * the driver walks tasks to `coding` and sends each one's signed PR-opened webhook; per (task, socket),
 * the time from that send to the first dashboard row carrying the task's prUrl. The path includes the
 * server's webhook handling, the BullMQ hop to the worker, the commit and the fan-out.
 * The sockets live in the harness's own process, so send and receipt share one clock; they also share
 * its event loop with the driver, which can only add to the figures.
 */
export async function webhookToScreen(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const plans = dashboardPlans(ctx, ctx.opts.sockets);
  const arrivals = new PrArrivals();
  const joined: Array<{ socket: LightSocket; orgId: string }> = [];
  const errorSamples: string[] = [];
  let connectErrors = 0;
  let unexpectedCloses = 0;
  await Promise.all(
    plans.map(async (plan, i) => {
      const socket = new LightSocket({
        url: ctx.url,
        auth: plan.token ? { token: plan.token } : undefined,
        localAddress: plan.localAddress,
        timeoutMs: 30_000,
        onEvent: (name, payload, at) => arrivals.onEvent(i, name, payload, at),
        onUnexpectedClose: () => (unexpectedCloses += 1),
      });
      try {
        await socket.connect();
        const ack = (await socket.emitWithAck(plan.join.event, plan.join.data)) as { ok?: boolean; error?: { code?: string } } | undefined;
        if (!ack?.ok) throw new Error(`${plan.join.event} refused: ${ack?.error?.code ?? 'no ack'}`);
        joined.push({ socket, orgId: plan.scope });
      } catch (err) {
        connectErrors += 1;
        socket.terminate();
        if (errorSamples.length < 5) errorSamples.push((err as Error).message);
      }
    }),
  );
  ctx.log(
    `webhook-to-screen: ${joined.length} of ${plans.length} dashboard sockets joined${connectErrors ? ` (${errorSamples.join('; ')})` : ''}`,
  );
  let driver: TaskDriver | undefined;
  try {
    const { product, drive } = await productPhase(ctx, {
      label: 'product, pipeline (dashboards in the harness)',
      plans: [],
      rate: ctx.opts.rate,
      durationS: ctx.opts.durationS,
      joinProbe: false,
      onDriver: (d) => (driver = d),
    });
    const sentAt = driver!.prOpenedSentAt;
    // Pairs that should have arrived: every joined socket of each task's org.
    const socketsPerOrg = new Map<string, number>();
    for (const j of joined) socketsPerOrg.set(j.orgId, (socketsPerOrg.get(j.orgId) ?? 0) + 1);
    const expected = [...sentAt.keys()].reduce((n, id) => n + (socketsPerOrg.get(driver!.orgOf(id) ?? '') ?? 0), 0);
    const stats = arrivals.webhookToScreen(sentAt);
    const webhookToScreen = {
      ...stats,
      expected,
      missing: expected - stats.count,
      tasks: sentAt.size,
      sockets: joined.length,
      connectErrors,
      unexpectedCloses,
    };
    const within1s = stats.maxMs !== null && stats.maxMs <= 1000 && webhookToScreen.missing === 0;
    return {
      product,
      drive,
      extra: { webhookToScreen },
      notes: [
        `Webhook → screen (PR-opened webhook sent → first dashboard row with its prUrl), ${stats.count} of ${expected} (task, socket) pairs ` +
          `over ${sentAt.size} task(s) and ${joined.length} socket(s): p50 ${stats.p50Ms ?? '–'} / p95 ${stats.p95Ms ?? '–'} / ` +
          `p99 ${stats.p99Ms ?? '–'} / max ${stats.maxMs ?? '–'} ms${within1s ? ' (all within 1 s)' : ''}.`,
      ],
    };
  } finally {
    for (const j of joined) j.socket.terminate();
  }
}
