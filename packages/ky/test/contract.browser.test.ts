import { describeAdapterContract } from '@tokenflight/adapter-contract'
import { useBrowserNetwork } from '@tokenflight/adapter-contract/browser'
import { kyHarness } from './harness.js'

const network = useBrowserNetwork()
describeAdapterContract(kyHarness(2, 'default'), network)
describeAdapterContract(kyHarness(2, 0), network)
describeAdapterContract(kyHarness(1, 'default'), network)
describeAdapterContract(kyHarness(1, 0), network)
