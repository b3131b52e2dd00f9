/**
 * The work one rule evaluation may do. A JSONLogic rule is data a user saved,
 * but it can loop (map, filter, reduce, all, some, none) and build lists and
 * texts (merge, cat) whose size doubles at every step: without a bound, one
 * saved trigger and one event ran the server out of memory. Every evaluation
 * gets a budget of operations (each rule node evaluated, each item a loop
 * visits) and of elements (each list item or 16 characters an operator reads,
 * copies or turns into text); running out throws RuleBudgetExceededError, which
 * fails that evaluation only: the workflow's trigger does not match that event,
 * or the branch step fails (not retried).
 *
 * The limits keep one exhausted evaluation in the tens of milliseconds of CPU
 * (measured in bench/rule-budget.ts) and far above what real rules use: the
 * original engine's triggers take under 10 operations and no elements.
 */

export interface RuleBudgetLimits {
  /** Rule nodes evaluated, including one per item every loop operator visits. */
  operations: number;
  /** List items read or copied, 16 characters searched or built; an item turned into text counts TEXT_WEIGHT. */
  elements: number;
}

export const RULE_BUDGET: RuleBudgetLimits = Object.freeze({ operations: 50_000, elements: 250_000 });

/** Longest list a saved rule may spell out (checked at save time, with a validation error). */
export const MAX_RULE_ARRAY_ITEMS = 1_000;

/**
 * Turning a list into text (`cat`, comparing a list with `==` or `<`, arithmetic
 * on a list) converts every nested item, roughly ten times the cost of reading
 * it (join: 150-400 ns per item against 10-40 for concat or indexOf).
 */
const TEXT_WEIGHT = 10;
/** Searching or copying text runs at about 1 ns per character: 16 of them count as one element. */
const CHARACTERS_PER_ELEMENT = 16;

export class RuleBudgetExceededError extends Error {
  constructor(
    readonly resource: keyof RuleBudgetLimits,
    readonly limit: number,
  ) {
    super(
      `the rule needs more than ${limit.toLocaleString("en-US")} ${resource} (the budget of one evaluation): ` +
        `it loops over or builds too much data`,
    );
    this.name = "RuleBudgetExceededError";
  }
}

export class RuleBudget {
  private operationsLeft: number;
  private elementsLeft: number;

  constructor(private readonly limits: RuleBudgetLimits = RULE_BUDGET) {
    this.operationsLeft = limits.operations;
    this.elementsLeft = limits.elements;
  }

  /** One rule node evaluated (json-logic-js recurses through apply once per node and per loop item). */
  operation(): void {
    this.operationsLeft -= 1;
    if (this.operationsLeft < 0) throw new RuleBudgetExceededError("operations", this.limits.operations);
  }

  /** An operator reads or copies the items of a list (merge, in): one element each. */
  listItems(value: unknown): void {
    if (Array.isArray(value)) this.spend(value.length);
  }

  /** An operator searches or copies a text (in, cat, substr). */
  text(value: unknown): void {
    if (typeof value === "string") this.spend(Math.ceil(value.length / CHARACTERS_PER_ELEMENT));
  }

  /**
   * An operator may turn a list into text: the text of every item nested in
   * it. Counted by walking the nesting (lists a rule builds can share parts, so
   * their text can be far larger than their memory) and stopping as soon as
   * the budget runs out, before the conversion starts. Other values convert
   * cheaply (a long text is compared or parsed without copying it).
   */
  listAsText(value: unknown): void {
    if (!Array.isArray(value)) return;
    const pending: unknown[][] = [value];
    for (let list = pending.pop(); list !== undefined; list = pending.pop()) {
      this.spend(list.length * TEXT_WEIGHT);
      for (const item of list) {
        if (Array.isArray(item)) pending.push(item);
        else if (typeof item === "string") this.text(item);
      }
    }
  }

  private spend(elements: number): void {
    this.elementsLeft -= elements;
    if (this.elementsLeft < 0) throw new RuleBudgetExceededError("elements", this.limits.elements);
  }
}
