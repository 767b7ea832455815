import { join } from 'node:path'
import {
  describeRealProviderSettings,
  describeSimulatedSession,
} from '@tokenflight/example-support/testing'

const example = join(import.meta.dirname, '..')

describeSimulatedSession('the ky app', example)
describeRealProviderSettings('the ky app', example)
