import { join } from 'node:path'
import {
  describeRealProviderSettings,
  describeSimulatedSession,
} from '@tokenflight/example-support/testing'

const example = join(import.meta.dirname, '..')

describeSimulatedSession('the axios app', example)
describeRealProviderSettings('the axios app', example)
