import type { SessionExpiredError } from './errors.js'
import type { TokenRefreshEvent } from './events.js'
import type { StoreOperation } from './token-persistence.js'

/**
 * Hands events to `onEvent` and a session's end to `onSessionExpired`, where a throwing callback cannot break a
 * refresh; store failures are never silent.
 */
export interface EventReporter {
  emit(event: TokenRefreshEvent): void
  /** Emits `store-failed`, or writes to `console.warn` when nobody listens. */
  storeFailed(operation: StoreOperation, error: unknown): void
  /** Emits `session-expired`, then calls `onSessionExpired`. */
  sessionExpired(error: SessionExpiredError): void
}

export function createEventReporter(
  onEvent: ((event: TokenRefreshEvent) => void) | undefined,
  onSessionExpired: ((error: SessionExpiredError) => void) | undefined,
): EventReporter {
  const emit = (event: TokenRefreshEvent) => {
    if (onEvent === undefined) return
    try {
      onEvent(event)
    } catch (error) {
      console.error('tokenflight: the onEvent listener threw', error)
    }
  }
  return {
    emit,
    storeFailed: (operation, error) => {
      if (onEvent === undefined) {
        console.warn(`tokenflight: the token store failed to ${operation} tokens`, error)
      } else {
        emit({ type: 'store-failed', operation, error })
      }
    },
    sessionExpired: (error) => {
      emit({ type: 'session-expired', error })
      if (onSessionExpired === undefined) return
      try {
        onSessionExpired(error)
      } catch (callbackError) {
        console.error('tokenflight: the onSessionExpired callback threw', callbackError)
      }
    },
  }
}
