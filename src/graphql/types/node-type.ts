import { z } from "zod";
import type { NodeHandler } from "../../engine/index.js";
import { builder } from "../builder.js";

const NodeTypeRef = builder.objectRef<NodeHandler>("NodeType").implement({
  description: "A registered node type; dataSchema is the JSON Schema of its data.",
  fields: (t) => ({
    type: t.exposeString("type"),
    description: t.exposeString("description"),
    dataSchema: t.field({
      type: "JSON",
      resolve: (handler) => z.toJSONSchema(handler.dataSchema, { io: "input", unrepresentable: "any" }),
    }),
  }),
});

builder.queryFields((t) => ({
  nodeTypes: t.field({
    type: [NodeTypeRef],
    resolve: (_root, _args, ctx) => [...ctx.services.registry.values()],
  }),
}));
