/**
 * RxJS wiring for a projection: fold the replayed log, then follow live events, publishing the state.
 * Thin on purpose: all the meaning is in the reducer.
 *
 * Reducers may mutate and return the state they are given, so `state$` can emit the same object again after
 * a change: subscribers must not filter with `distinctUntilChanged` on identity.
 */
import { BehaviorSubject, from, isObservable, type Observable, Subscription } from 'rxjs';
import type { TgfsEvent } from '../events/types.js';

export type Reducer<S> = (state: S, event: TgfsEvent) => S;

export class Projection<S> {
  readonly #subject: BehaviorSubject<S>;
  readonly #evolve: Reducer<S>;
  #state: S;
  #replayed: Promise<S>;
  #resolveReplayed: (state: S) => void = () => {};
  #rejectReplayed: (err: unknown) => void = () => {};

  /** Emits the current state now, once after the replay, then after each live event. */
  readonly state$: Observable<S>;

  constructor(initial: S, evolve: Reducer<S>) {
    this.#state = initial;
    this.#evolve = evolve;
    this.#subject = new BehaviorSubject(initial);
    this.state$ = this.#subject.asObservable();
    this.#replayed = new Promise((resolve, reject) => {
      this.#resolveReplayed = resolve;
      this.#rejectReplayed = reject;
    });
    // Nobody awaiting the replay must not turn a failure into an unhandled rejection; state$ reports it too.
    this.#replayed.catch(() => {});
  }

  current(): S {
    return this.#state;
  }

  /** Resolves with the state once the replay source has completed and been folded. */
  whenReplayed(): Promise<S> {
    return this.#replayed;
  }

  /**
   * Folds `replay` without publishing each step, publishes, then follows `live`. Live events that arrive during
   * the replay are held and folded right after it, so none falls between the two (reducers are idempotent, so
   * an event in both is harmless). Unsubscribe the result to stop.
   */
  start(replay: Iterable<TgfsEvent> | Observable<TgfsEvent>, live: Observable<TgfsEvent>): Subscription {
    const subscription = new Subscription();
    let held: TgfsEvent[] | undefined = [];
    const fail = (err: unknown): void => {
      this.#rejectReplayed(err);
      this.#subject.error(err);
    };
    subscription.add(
      live.subscribe({
        next: (event) => {
          if (held !== undefined) held.push(event);
          else this.#apply(event, fail);
        },
        error: fail,
      }),
    );
    const replay$ = isObservable(replay) ? replay : from(replay);
    subscription.add(
      replay$.subscribe({
        next: (event) => {
          try {
            this.#state = this.#evolve(this.#state, event);
          } catch (err) {
            fail(err);
            subscription.unsubscribe();
          }
        },
        error: fail,
        complete: () => {
          const pending = held ?? [];
          held = undefined;
          try {
            for (const event of pending) this.#state = this.#evolve(this.#state, event);
          } catch (err) {
            fail(err);
            subscription.unsubscribe();
            return;
          }
          this.#subject.next(this.#state);
          this.#resolveReplayed(this.#state);
        },
      }),
    );
    return subscription;
  }

  #apply(event: TgfsEvent, fail: (err: unknown) => void): void {
    try {
      this.#state = this.#evolve(this.#state, event);
    } catch (err) {
      fail(err);
      return;
    }
    this.#subject.next(this.#state);
  }
}
