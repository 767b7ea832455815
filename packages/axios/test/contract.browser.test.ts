import { describeAdapterContract } from '@tokenflight/adapter-contract'
import { useBrowserNetwork } from '@tokenflight/adapter-contract/browser'
import { axiosHarness } from './harness.js'

const network = useBrowserNetwork()
describeAdapterContract(
  axiosHarness({ adapter: 'fetch', toStreamBody: (stream) => stream }),
  network,
)
