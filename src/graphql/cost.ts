/**
 * What one GraphQL operation may ask for, estimated before it runs: every field
 * counts 1 (a JSON field, which carries a stored document, 10) times the size of
 * every list around it. A connection counts its `first`/`last` (else its default
 * page, and at most its largest), a paged list its `first` (else the argument's
 * default), any other list LIST_WITHOUT_PAGES items. A variable counts as the
 * most it may be: validation runs before variables are known.
 *
 * `executions(first:100){edges{node{payload steps{input output}}}}` counts
 * 100 × (1000 × 20 + …) ≈ 2 million, where graphql-armor's cost (which ignores
 * arguments) let it through and it answered 185 MB. Runs as a validation rule,
 * so HTTP, SSE and WebSocket operations are all checked, and nothing runs when
 * the estimate is over the limit.
 */
import {
  type ASTVisitor,
  type FieldNode,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLField,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  valueFromAST,
} from "graphql";
import { CONNECTION_PAGE, LIST_PAGE } from "./pages.js";

/** A field holding a stored JSON document (payload, output, graph) weighs this many plain fields. */
const JSON_FIELD_COST = 10;
/** Lists without page arguments (nodeTypes, a sendEvent's executions) are counted as this long. */
const LIST_WITHOUT_PAGES = 10;

export function costLimitRule(maxCost: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const root = rootType(context, operation.operation);
      if (!root) return;
      const cost = new CostEstimate(context).selection(operation.selectionSet, root);
      if (cost <= maxCost) return;
      context.reportError(
        new GraphQLError(
          `query cost ${Math.round(cost)} exceeds the limit of ${maxCost} (GRAPHQL_MAX_COST): ask for smaller pages (first) of lists, or fewer fields inside them`,
          { nodes: [operation], extensions: { code: "GRAPHQL_VALIDATION_FAILED", cost, limit: maxCost } },
        ),
      );
    },
  });
}

function rootType(context: ValidationContext, kind: "query" | "mutation" | "subscription") {
  const schema = context.getSchema();
  return kind === "query"
    ? schema.getQueryType()
    : kind === "mutation"
      ? schema.getMutationType()
      : schema.getSubscriptionType();
}

/**
 * The cost of one result of a selection: a list around it multiplies it by its
 * length. Each named fragment is costed once and reused at every spread
 * (fragments spreading fragments many times each would otherwise be walked a
 * number of times that grows as a power of the query's length).
 */
class CostEstimate {
  private readonly fragments = new Map<string, number>();
  private readonly costing = new Set<string>();

  constructor(private readonly context: ValidationContext) {}

  selection(selectionSet: SelectionSetNode, parent: GraphQLCompositeType): number {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        cost += this.field(selection, parent);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += this.selection(selection.selectionSet, this.typeNamed(selection.typeCondition?.name.value, parent));
      } else {
        cost += this.fragment(selection.name.value, parent);
      }
    }
    return cost;
  }

  private fragment(name: string, parent: GraphQLCompositeType): number {
    const known = this.fragments.get(name);
    if (known !== undefined) return known;
    const fragment = this.context.getFragment(name);
    // An unknown or cyclic fragment is reported by graphql's own rules.
    if (!fragment || this.costing.has(name)) return 0;
    this.costing.add(name);
    const cost = this.selection(fragment.selectionSet, this.typeNamed(fragment.typeCondition.name.value, parent));
    this.costing.delete(name);
    this.fragments.set(name, cost);
    return cost;
  }

  private field(node: FieldNode, parent: GraphQLCompositeType): number {
    const field = "getFields" in parent ? parent.getFields()[node.name.value] : undefined;
    if (!field) return 0; // __typename, or an unknown field graphql's own rules report
    const named = getNamedType(field.type);
    const own = named.name === "JSON" ? JSON_FIELD_COST : 1;
    if (!node.selectionSet || !isCompositeType(named)) return own;
    return own + itemsPerResult(node, field, parent) * this.selection(node.selectionSet, named);
  }

  private typeNamed(name: string | undefined, fallback: GraphQLCompositeType): GraphQLCompositeType {
    const type = name === undefined ? undefined : this.context.getSchema().getType(name);
    return type && isCompositeType(type) ? type : fallback;
  }
}

/** How many items one result of this field holds, at most. */
function itemsPerResult(node: FieldNode, field: GraphQLField<unknown, unknown>, parent: GraphQLCompositeType): number {
  const isConnection = getNamedType(field.type).name.endsWith("Connection");
  const page = isConnection ? CONNECTION_PAGE : LIST_PAGE;
  const asked = ["first", "last"].flatMap((name) => {
    const definition = field.args.find((arg) => arg.name === name);
    if (!definition) return [];
    const argument = node.arguments?.find((arg) => arg.name.value === name);
    if (!argument) return definition.defaultValue === undefined ? [] : [Number(definition.defaultValue)];
    // A variable is not known yet: count the most it may be.
    const value = argument.value.kind === Kind.VARIABLE ? page.max : valueFromAST(argument.value, definition.type);
    // A negative page is refused when the field runs; counted as none, it cannot lower its siblings' cost.
    return typeof value === "number" ? [Math.max(0, value)] : [];
  });
  // Not capped at the page's largest: asking for more than may be had is counted as asked.
  if (asked.length > 0) return Math.max(...asked);
  if (isConnection) return CONNECTION_PAGE.default;
  // A connection's edges are as many as the connection's page, counted on the connection.
  if (parent.name.endsWith("Connection")) return 1;
  return isListType(getNullableType(field.type)) ? LIST_WITHOUT_PAGES : 1;
}
