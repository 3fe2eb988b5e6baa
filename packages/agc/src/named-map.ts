/**
 * Name-keyed objects that hold any name: 'toString', 'constructor', 'hasOwnProperty' and
 * '__proto__' included. Reads look at own properties only (never the prototype chain); writes
 * define an own property (plain assignment of '__proto__' would replace the prototype instead,
 * losing the entry). Maps built here are ordinary objects, so callers keep `Object.keys`,
 * spreading and `tf.dispose` as before.
 */

/** True when `map` has its own property `name`. */
export function hasOwn(map: object, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(map, name);
}

/** The own value of `name`, or undefined (inherited properties such as `toString` are not entries). */
export function ownValue<T>(map: Readonly<Record<string, T>>, name: string): T | undefined {
  return hasOwn(map, name) ? map[name] : undefined;
}

/** Sets `map[name] = value` as an own, enumerable property, whatever the name. */
export function setEntry<T>(map: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true });
}

/** The own enumerable string-keyed entries of `map`, in key order. */
export function entriesOf<T>(map: Readonly<Record<string, T>>): Array<[string, T]> {
  return Object.keys(map).map((name) => [name, map[name] as T]);
}
