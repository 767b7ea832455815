export type {
  FileTokenStore,
  FileTokenStoreOptions,
  TokenFileFailureReason,
} from './file-token-store.js'
export { fileTokenStore, TokenFileError } from './file-token-store.js'
export type { SignInFailureReason } from './sign-in-error.js'
export { SignInError } from './sign-in-error.js'
export type { SignInWithLoopbackOptions } from './sign-in-with-loopback.js'
export { signInWithLoopback } from './sign-in-with-loopback.js'
