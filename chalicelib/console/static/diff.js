// Word-level differences between two transcripts of the same audio.
//
// Myers' O((N+M)·D) algorithm ("An O(ND) Difference Algorithm and Its Variations", 1986):
// transcripts with and without a custom model differ in a few words (small D), so this is
// far cheaper than an N×M table, and it finds a shortest edit script, so the words it
// reports as equal are a longest common subsequence.

/**
 * The edit script turning `a` into `b`, in order: {type: "equal", a, b}, {type: "delete", a}
 * or {type: "insert", b}, where a and b are indexes into the two sequences.
 */
export function diff(a, b, equals = (x, y) => x === y) {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  // furthest[k] is the furthest x reached on diagonal k = x - y; offset by max + 1 so that
  // k - 1 and k + 1 stay inside the array.
  const furthest = new Int32Array(2 * max + 3);
  const at = (k) => k + max + 1;
  // After each round d, the diagonals -d..d it reached: what the backtrack needs, O(D²) in all.
  const trace = [];
  for (let d = 0; d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && furthest[at(k - 1)] < furthest[at(k + 1)]);
      let x = down ? furthest[at(k + 1)] : furthest[at(k - 1)] + 1;
      let y = x - k;
      while (x < n && y < m && equals(a[x], b[y])) {
        x++;
        y++;
      }
      furthest[at(k)] = x;
      if (x >= n && y >= m) {
        trace.push(furthest.slice(at(-d), at(d) + 1));
        return backtrack(trace, n, m);
      }
    }
    trace.push(furthest.slice(at(-d), at(d) + 1));
  }
  throw new Error("unreachable: an edit script always exists");
}

// Walks the trace from (n, m) back to (0, 0): each round contributes one insert or delete
// and the run of equal items (the "snake") that followed it.
function backtrack(trace, n, m) {
  const ops = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const before = trace[d - 1]; // diagonals -(d-1)..(d-1)
    const reached = (k) => before[k + d - 1];
    const k = x - y;
    const down = k === -d || (k !== d && reached(k - 1) < reached(k + 1));
    const previousK = down ? k + 1 : k - 1;
    const previousX = reached(previousK);
    const previousY = previousX - previousK;
    const snakeStart = down ? previousX : previousX + 1;
    while (x > snakeStart) {
      x--;
      y--;
      ops.push({ type: "equal", a: x, b: y });
    }
    ops.push(down ? { type: "insert", b: previousY } : { type: "delete", a: previousX });
    x = previousX;
    y = previousY;
  }
  while (x > 0) {
    x--;
    y--;
    ops.push({ type: "equal", a: x, b: y });
  }
  return ops.reverse();
}

/**
 * What the comparison is about is words heard differently, so case and punctuation at word
 * edges ("Hello," / "hello") are not differences.
 */
export function normalizeWord(text) {
  return text.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
}

/**
 * Compares two transcripts' words ({text}); returns the indexes only in `before`
 * (deleted), only in `after` (inserted), and counts.
 */
export function diffWords(before, after) {
  const ops = diff(before.map((w) => normalizeWord(w.text)), after.map((w) => normalizeWord(w.text)));
  const deleted = ops.filter((op) => op.type === "delete").map((op) => op.a);
  const inserted = ops.filter((op) => op.type === "insert").map((op) => op.b);
  return { ops, deleted, inserted, equal: ops.length - deleted.length - inserted.length };
}
