// Keys come from documents, and `obj[key] = value` with the key `__proto__` sets the
// object's prototype instead of a property: the value vanishes from Object.keys, JSON and
// the digest, and whatever it holds is inherited by every read. Write keys this way.

/** Sets `key` as an own, enumerable data property, whatever the key. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}
