import { describeAdapterContract } from '@tokenflight/adapter-contract'
import { useBrowserNetwork } from '@tokenflight/adapter-contract/browser'
import { customFetchHarnesses } from './client-harnesses.js'

const network = useBrowserNetwork()
for (const harness of customFetchHarnesses) describeAdapterContract(harness, network)
