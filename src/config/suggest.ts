/**
 * The closest known name to a misspelt one, or undefined when nothing is close enough to be a
 * plausible typo. Case and `-` versus `_` are ignored first, because `max-binds` and `Max_Binds`
 * are the most common slips in hand-written YAML.
 */
export function closestName(wrong: string, known: readonly string[]): string | undefined {
  const folded = fold(wrong);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(folded, fold(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(1, Math.floor(folded.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/** ` (did you mean "x"?)` or an empty string, ready to append to a message. */
export function didYouMean(wrong: string, known: readonly string[]): string {
  const near = closestName(wrong, known);
  return near === undefined ? '' : ` (did you mean "${near}"?)`;
}

function fold(name: string): string {
  return name.toLowerCase().replaceAll('-', '_');
}

/** Levenshtein distance with one reusable row: names here are short, so O(n*m) is nothing. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const substitution = diagonal + (a[i - 1] === b[j - 1] ? 0 : 1);
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, substitution);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}
