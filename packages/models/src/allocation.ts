/**
 * Every buffer the file readers size from a number found in a file (a shape, a declared length, a
 * file size) is announced here first, with its size, before it is allocated. Nothing listens in normal
 * use; the hostile-input tests listen to prove that a crafted file cannot make a reader plan a large
 * allocation before its sizes were checked against the bytes present. Not exported from the package.
 */
type Listener = (bytes: number, what: string) => void;

const listeners = new Set<Listener>();

/** Announces an allocation (or a zlib output limit) of `bytes`; call before allocating. */
export function planAllocation(bytes: number, what: string): void {
  for (const listener of listeners) listener(bytes, what);
}

/** Calls `listener` for every planned allocation until the returned function is called. */
export function onAllocation(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
