// Example questions drawn from a data source's schema: counts by the low-cardinality text
// columns introspection sampled, averages of measure-like numbers by those, trends over date
// columns. Ranked so the biggest fact tables come first, and one question per table before
// a second for any table.
import type { Schema } from "./schema-types";

type TableLike = Schema["tables"][number];
type ColumnLike = TableLike["columns"][number];

const words = (name: string) => name.replace(/_/g, " ").trim();
const isKey = (t: TableLike, c: ColumnLike) =>
  t.primary_key.includes(c.name) || /(^id$|_id$|_key$)/i.test(c.name) || t.foreign_keys.some((f) => f.columns.includes(c.name));
const isNumber = (c: ColumnLike) => ["integer", "float", "decimal"].includes(c.data_type.kind);
const isDate = (c: ColumnLike) => ["date", "timestamp", "timestamp_tz"].includes(c.data_type.kind);
const isCategory = (c: ColumnLike) =>
  c.data_type.kind === "text" && !!c.sample_values && c.sample_values.length > 1 && c.sample_values.length <= 20;

export function exampleQuestions(schema: Schema | undefined, max = 6): string[] {
  if (!schema) return [];
  const tables = [...schema.tables].sort((a, b) => (b.row_estimate ?? 0) - (a.row_estimate ?? 0));
  const perTable: string[][] = tables.map((t) => {
    const name = words(t.name);
    const cats = t.columns.filter(isCategory);
    const nums = t.columns.filter((c) => isNumber(c) && !isKey(t, c));
    const dates = t.columns.filter(isDate);
    const out: string[] = [];
    if (cats[0]) out.push(`How many ${name} are there by ${words(cats[0].name)}?`);
    if (nums[0] && cats[0]) out.push(`Average ${words(nums[0].name)} of ${name} by ${words(cats[0].name)}`);
    if (dates[0]) out.push(`How many ${name} were there by month?`);
    if (cats[1]) out.push(`How many ${name} are there by ${words(cats[1].name)}?`);
    if (out.length === 0) out.push(`How many ${name} are there?`);
    return out;
  });
  const picked: string[] = [];
  for (let round = 0; picked.length < max && perTable.some((q) => q.length > round); round++) {
    for (const qs of perTable) {
      if (qs[round] && picked.length < max) picked.push(qs[round]);
    }
  }
  return picked;
}
