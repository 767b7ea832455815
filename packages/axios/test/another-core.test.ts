import { describeWithAnotherCore, useNodeNetwork } from '@tokenflight/adapter-contract/node'
import { axiosHarness } from './harness.js'

describeWithAnotherCore(axiosHarness({ adapter: 'http' }), useNodeNetwork())
