/**
 * Object.freeze, all the way down. RegExps and class instances are frozen too: a frozen RegExp
 * without the g or y flag still works with test/exec/replace, because only those flags make
 * matching write lastIndex.
 */
export function deepFreeze<T>(value: T): T {
  freezeInto(value, new Set());
  return value;
}

function freezeInto(value: unknown, seen: Set<object>): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
  const object = value as object;
  if (seen.has(object) || ArrayBuffer.isView(object)) return;
  seen.add(object);
  for (const key of Reflect.ownKeys(object)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(object, key);
    if (descriptor && 'value' in descriptor) freezeInto(descriptor.value, seen);
  }
  Object.freeze(object);
}
