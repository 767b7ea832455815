import { describeAdapterContract } from '@tokenflight/adapter-contract'
import { useNodeNetwork } from '@tokenflight/adapter-contract/node'
import { kyHarness } from './harness.js'

const network = useNodeNetwork()
describeAdapterContract(kyHarness(2, 'default'), network)
describeAdapterContract(kyHarness(2, 0), network)
describeAdapterContract(kyHarness(1, 'default'), network)
describeAdapterContract(kyHarness(1, 0), network)
