import { describeWithAnotherCore, useNodeNetwork } from '@tokenflight/adapter-contract/node'
import { kyHarness } from './harness.js'

const network = useNodeNetwork()
// ky 1 retries what its hooks throw, so it is the one whose fail-fast path meets the other copy's errors.
describeWithAnotherCore(kyHarness(1, 'default'), network)
describeWithAnotherCore(kyHarness(2, 'default'), network)
