import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { describeAdapterContract } from '@tokenflight/adapter-contract'
import { useNodeNetwork } from '@tokenflight/adapter-contract/node'
import { axiosHarness } from './harness.js'

const network = useNodeNetwork()
describeAdapterContract(
  axiosHarness({
    adapter: 'http',
    // The http adapter sends Node streams.
    toStreamBody: (stream) => Readable.fromWeb(stream as NodeReadableStream<Uint8Array>),
  }),
  network,
)
describeAdapterContract(
  axiosHarness({ adapter: 'fetch', toStreamBody: (stream) => stream }),
  network,
)
