import type { DataSource, QueryResponse, StreamEvent } from "@/lib/api/types";
import type { Schema } from "@/lib/schema-types";

export const source: DataSource = {
  id: "ds-1",
  name: "Retail demo (DuckDB)",
  config: { kind: "duckdb", path: "/data/demo.duckdb" },
  has_credentials: false,
  limits: { timeout_seconds: 30, max_rows: 10000, cache_ttl_seconds: 300 },
  health: { status: "ok", error: null, latency_ms: 1, checked_at: "2026-01-01T00:00:00Z" },
  schema: { generation: 1, refreshed_at: "2026-01-01T00:00:00Z", tables: 2 },
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

export const answer: QueryResponse = {
  query_id: "q-1",
  datasource_id: "ds-1",
  question: "How many orders are there by status?",
  sql: "SELECT orders.status AS status, count(*) AS count FROM retail.orders GROUP BY orders.status LIMIT 10001",
  explanation: "Counting orders, grouped by status.",
  generation: {
    engine: "offline",
    model: null,
    interpretation: "counting orders, grouped by status",
    confidence: 1,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd: null,
    corrected: false,
    failed_engines: [],
  },
  columns: [
    { name: "status", data_type: { kind: "text" }, native_type: "VARCHAR" },
    { name: "count", data_type: { kind: "integer", bits: 64 }, native_type: "BIGINT" },
  ],
  // The contract types cells as objects; they are any JSON value (see the report).
  rows: [
    ["returned", 4933],
    ["shipped", 12302],
    ["completed", 71944],
  ] as unknown as QueryResponse["rows"],
  row_count: 3,
  truncated: false,
  chart: { kind: "bar", x: "status", y: ["count"], series: null, format: "integer" },
  cache: { hit: true, age_seconds: 12 },
  timings: { context_ms: 7, generate_ms: 2, guard_ms: 0.4, cache_ms: 2, execute_ms: 3, chart_ms: 0.03, total_ms: 95 },
};

export const streamed: StreamEvent[] = [
  { event: "context", tables: ["retail.orders"] },
  { event: "sql", sql: answer.sql, explanation: answer.explanation, engine: "offline" },
  { event: "executing" },
  { event: "result", columns: answer.columns, row_count: 3, truncated: false, cache: answer.cache },
  { event: "chart", chart: answer.chart },
  { event: "done", answer },
];

export const schema: Schema = {
  tables: [
    {
      schema: "retail",
      name: "orders",
      kind: "table",
      row_estimate: 100000,
      primary_key: ["order_id"],
      foreign_keys: [{ columns: ["customer_id"], referenced_schema: "retail", referenced_table: "customers", referenced_columns: ["customer_id"] }],
      columns: [
        { name: "order_id", data_type: { kind: "integer", bits: 64 }, native_type: "BIGINT", nullable: false },
        { name: "customer_id", data_type: { kind: "integer", bits: 32 }, native_type: "INTEGER", nullable: false },
        { name: "order_date", data_type: { kind: "date" }, native_type: "DATE", nullable: false },
        { name: "status", data_type: { kind: "text" }, native_type: "VARCHAR", nullable: false, sample_values: ["completed", "shipped"] },
      ],
    },
    {
      schema: "retail",
      name: "products",
      kind: "table",
      row_estimate: 2000,
      primary_key: ["product_id"],
      foreign_keys: [],
      columns: [
        { name: "product_id", data_type: { kind: "integer", bits: 32 }, native_type: "INTEGER", nullable: false },
        { name: "category", data_type: { kind: "text" }, native_type: "VARCHAR", nullable: false, sample_values: ["Books", "Toys"] },
        { name: "list_price", data_type: { kind: "decimal", precision: 10, scale: 2 }, native_type: "DECIMAL(10,2)", nullable: false },
      ],
    },
  ],
};
