-- CreateIndex
CREATE INDEX "Execution_payload_idx" ON "Execution" USING GIN ("payload" jsonb_path_ops);

