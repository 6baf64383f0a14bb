/** A promise-chain mutex: callers run one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    // A failed holder must not block the next one; its caller still sees the rejection through `result`.
    this.tail = result.catch(() => {});
    return result;
  }
}
