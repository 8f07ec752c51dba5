import { DockerEngineUnavailable } from '@taskflow/testing';
import { ComposeStack } from './compose';
import { NamespaceStack } from './namespaces';
import type { SeparateHosts, SeparateHostsOptions } from './separate-hosts';

/**
 * The compose stack on a Docker engine of the test's own; where no engine can be started, says so in one line and
 * starts the same topology in Linux network namespaces instead. `TASKFLOW_E2E_HOSTS=namespaces` takes the namespace
 * path directly (for working on it).
 */
export async function startSeparateHosts(opts: SeparateHostsOptions): Promise<SeparateHosts> {
  if (process.env.TASKFLOW_E2E_HOSTS === 'namespaces') {
    opts.log('TASKFLOW_E2E_HOSTS=namespaces: the components run in Linux network namespaces, not containers');
    return NamespaceStack.start(opts);
  }
  try {
    return await ComposeStack.start(opts);
  } catch (err) {
    if (!(err instanceof DockerEngineUnavailable)) throw err;
    opts.log(`no Docker engine could be started here (${err.message}): the same scenario runs in Linux network namespaces`);
    return NamespaceStack.start(opts);
  }
}
