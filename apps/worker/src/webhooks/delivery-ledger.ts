import type { WebhookJobData } from '@taskflow/events';
import { DeliveryAlreadyAppliedError, deliveryOutcome, recordDelivery } from '@taskflow/store';
import type { Processor } from '../pipeline/context';

/** GitHub's event name for each kind of delivery, as kept in webhook_deliveries. */
const GITHUB_EVENT: Readonly<Record<WebhookJobData['kind'], string>> = {
  branch_created: 'create',
  pull_request: 'pull_request',
  pull_request_review: 'pull_request_review',
  check_completed: 'check_run',
  comment: 'issue_comment',
};

/** What `transition()` records in its own transaction when a step applies this delivery. */
export function deliveryRef(data: WebhookJobData): { deliveryId: string; event: string } {
  return { deliveryId: data.deliveryId, event: GITHUB_EVENT[data.kind] };
}

/**
 * Exactly-once around the webhook processor: a delivery recorded before (applied or
 * ignored) is not applied again, the transition that applies it records it in the same
 * transaction, and one that asked for nothing is recorded as ignored once it ran. A
 * delivery whose job failed is not recorded, so GitHub's Redeliver applies it.
 */
export function withDeliveryLedger(inner: Processor<'apply-webhook'>): Processor<'apply-webhook'> {
  return async (job, ctx, log) => {
    const data = job.data;
    const seen = await deliveryOutcome(ctx.db, data.deliveryId);
    if (seen) return `duplicate: delivery ${seen} already`;
    let outcome: string;
    try {
      outcome = await inner(job, ctx, log);
    } catch (err) {
      if (err instanceof DeliveryAlreadyAppliedError) return 'duplicate: delivery applied already';
      throw err;
    }
    // A no-op when the transition recorded it as applied.
    await recordDelivery(ctx.db, { ...deliveryRef(data), outcome: 'ignored' });
    return outcome;
  };
}
