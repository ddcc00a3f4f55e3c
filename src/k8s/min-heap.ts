/** A binary min-heap ordered by `at`: the workqueue's pending delayed adds. */
export interface MinHeap<V> {
  push(at: number, value: V): void;
  peek(): { at: number; value: V } | undefined;
  pop(): { at: number; value: V } | undefined;
  size(): number;
  clear(): void;
}

export function createMinHeap<V>(): MinHeap<V> {
  const items: { at: number; value: V }[] = [];
  const swap = (i: number, j: number) => {
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  };
  return {
    push(at, value) {
      items.push({ at, value });
      let i = items.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (items[parent]!.at <= items[i]!.at) break;
        swap(i, parent);
        i = parent;
      }
    },
    peek: () => items[0],
    pop() {
      const top = items[0];
      const last = items.pop();
      if (items.length > 0 && last) {
        items[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < items.length && items[l]!.at < items[m]!.at) m = l;
          if (r < items.length && items[r]!.at < items[m]!.at) m = r;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      }
      return top;
    },
    size: () => items.length,
    clear() {
      items.length = 0;
    },
  };
}
