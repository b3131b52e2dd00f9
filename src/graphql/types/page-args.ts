/** The `first` and `offset` arguments of a paged list inside an object (see pages.ts). */
import { builder } from "../builder.js";
import { LIST_PAGE } from "../pages.js";

export function pageArgs(defaultFirst: number) {
  return builder.args((t) => ({
    first: t.int({ defaultValue: defaultFirst, description: `How many, 1 to ${LIST_PAGE.max}` }),
    offset: t.int({ defaultValue: 0, description: "How many to skip first" }),
  }));
}
