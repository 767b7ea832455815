import { describeAdapterContract } from '@tokenflight/adapter-contract'
import { useBrowserNetwork } from '@tokenflight/adapter-contract/browser'
import { fetchRequestHarness, fetchUrlHarness } from './harness.js'

const network = useBrowserNetwork()
describeAdapterContract(fetchUrlHarness, network)
describeAdapterContract(fetchRequestHarness, network)
