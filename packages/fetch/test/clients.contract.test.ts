import { describeAdapterContract } from '@tokenflight/adapter-contract'
import { useNodeNetwork } from '@tokenflight/adapter-contract/node'
import { customFetchHarnesses } from './client-harnesses.js'

const network = useNodeNetwork()
for (const harness of customFetchHarnesses) describeAdapterContract(harness, network)
