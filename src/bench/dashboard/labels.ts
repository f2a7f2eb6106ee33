/** A series' label set; the metric name is the label __name__, as in Prometheus. */
export type Labels = Readonly<Record<string, string>>;

export const NAME_LABEL = '__name__';

/** One string per label set, independent of key order: the identity of a series. */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

export function withoutName(labels: Labels): Labels {
  if (!Object.hasOwn(labels, NAME_LABEL)) return labels;
  const { [NAME_LABEL]: _name, ...rest } = labels;
  return rest;
}

/** Only the given labels; absent ones stay absent (Prometheus treats absent and empty alike). */
export function keepOnly(labels: Labels, names: readonly string[]): Labels {
  const kept: Record<string, string> = {};
  for (const name of names) {
    const value = labels[name];
    if (value !== undefined && value !== '') kept[name] = value;
  }
  return kept;
}

export function without(labels: Labels, names: readonly string[]): Labels {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) if (!names.includes(name)) kept[name] = value;
  return kept;
}

/** `name{a="x", b="y"}` as Prometheus prints a series, for a legend without a legendFormat. */
export function formatSeries(labels: Labels): string {
  const name = labels[NAME_LABEL] ?? '';
  const rest = Object.keys(labels)
    .filter((k) => k !== NAME_LABEL)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return rest.length === 0 ? name || '{}' : `${name}{${rest.join(', ')}}`;
}
