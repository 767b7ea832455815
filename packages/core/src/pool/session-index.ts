import {
  canonicalValue,
  checkStringKey,
  type RefresherPoolKey,
  sortedFieldNames,
} from './session-key.js'

/** One step of an object key: the session whose key ends here, and the next steps by field name and value. */
interface KeyNode<Session> {
  session: Session | undefined
  fields: Map<string, Map<string, KeyNode<Session>>> | undefined
}

/**
 * Finds the session of a key by value. String keys are looked up as they are; object keys walk a tree of their
 * sorted fields and canonical values, whose strings the caller usually holds already (hash computed once), rather
 * than building and hashing one long string per call.
 */
export class SessionIndex<Session> {
  readonly #byString = new Map<string, Session>()
  readonly #root: KeyNode<Session> = { session: undefined, fields: undefined }
  #size = 0

  get size(): number {
    return this.#size
  }

  /** The session of `key`, if any. Throws a `TypeError` for a bad key, whether or not it is held. */
  find(key: unknown): Session | undefined {
    if (typeof key === 'string') {
      checkStringKey(key)
      return this.#byString.get(key)
    }
    const names = sortedFieldNames(key)
    let node: KeyNode<Session> | undefined = this.#root
    for (const name of names) {
      // Every field is checked, also after the path has ended, so that a bad key always throws.
      const value = canonicalValue(key as Record<string, unknown>, name)
      node = node?.fields?.get(name)?.get(value)
    }
    return node?.session
  }

  /** Holds `session` under `key`, a key {@link find} accepted and found nothing for. */
  add(key: RefresherPoolKey, session: Session): void {
    this.#size++
    if (typeof key === 'string') {
      this.#byString.set(key, session)
      return
    }
    let node = this.#root
    for (const name of sortedFieldNames(key)) {
      const value = canonicalValue(key, name)
      node.fields ??= new Map()
      let values = node.fields.get(name)
      if (values === undefined) {
        values = new Map()
        node.fields.set(name, values)
      }
      let next = values.get(value)
      if (next === undefined) {
        next = { session: undefined, fields: undefined }
        values.set(value, next)
      }
      node = next
    }
    node.session = session
  }

  /** Forgets the session held under `key`, and the steps that lead nowhere else. */
  remove(key: RefresherPoolKey): void {
    if (typeof key === 'string') {
      if (this.#byString.delete(key)) this.#size--
      return
    }
    const path: Array<{ node: KeyNode<Session>; name: string; value: string }> = []
    let node: KeyNode<Session> | undefined = this.#root
    for (const name of sortedFieldNames(key)) {
      const value = canonicalValue(key, name)
      path.push({ node, name, value })
      node = node.fields?.get(name)?.get(value)
      if (node === undefined) return
    }
    if (node.session === undefined) return
    node.session = undefined
    this.#size--
    for (let step = path.pop(); step !== undefined; step = path.pop()) {
      const values = step.node.fields?.get(step.name)
      const child = values?.get(step.value)
      if (values === undefined || child === undefined) return
      if (child.session !== undefined || child.fields !== undefined) return
      values.delete(step.value)
      if (values.size > 0) return
      step.node.fields?.delete(step.name)
      if ((step.node.fields?.size ?? 0) === 0) step.node.fields = undefined
    }
  }
}
