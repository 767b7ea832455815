// Each script runs atomically in Redis, so a check of the lock and the write it guards cannot be split.

/**
 * KEYS: tokens, lock. ARGV: value ('' deletes), owner ('' writes unfenced), channel, notification.
 * Returns 1 when written, 0 when the lock is no longer the owner's.
 */
export const writeScript = `
if ARGV[2] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
if ARGV[1] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`

/** KEYS: lock. ARGV: owner, lease in ms. Returns 1 when the lease was renewed, 0 when the lock is another's. */
export const extendScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`

/** KEYS: lock. ARGV: owner. Deletes the lock only if it is still the owner's. */
export const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`
