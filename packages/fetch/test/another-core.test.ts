import { describeWithAnotherCore, useNodeNetwork } from '@tokenflight/adapter-contract/node'
import { fetchUrlHarness } from './harness.js'

describeWithAnotherCore(fetchUrlHarness, useNodeNetwork())
