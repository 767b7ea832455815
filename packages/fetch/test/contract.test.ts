import { describeAdapterContract } from '@tokenflight/adapter-contract'
import { useNodeNetwork } from '@tokenflight/adapter-contract/node'
import { fetchRequestHarness, fetchUrlHarness } from './harness.js'

const network = useNodeNetwork()
describeAdapterContract(fetchUrlHarness, network)
describeAdapterContract(fetchRequestHarness, network)
