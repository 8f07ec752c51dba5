import type { JobName } from '@taskflow/events';
import { analyzeProcessor } from '../analysis/analyze.processor';
import { dispatchProcessor } from '../github/dispatch.processor';
import { applyWebhookProcessor } from '../webhooks/apply-webhook.processor';
import { withDeliveryLedger } from '../webhooks/delivery-ledger';
import type { Processor } from './context';

/** Job name → processor. A new job type is one entry here (and one in libs/events). */
export const PROCESSORS: { [J in JobName]: Processor<J> } = {
  analyze: analyzeProcessor,
  dispatch: dispatchProcessor,
  'apply-webhook': withDeliveryLedger(applyWebhookProcessor),
};
