import { describe, expect, it } from "vitest";
import type { Column } from "./api/types";
import { chartData, fittingKinds, specFor } from "./chart";

const text = (name: string): Column => ({ name, data_type: { kind: "text" }, native_type: "VARCHAR" });
const date = (name: string): Column => ({ name, data_type: { kind: "date" }, native_type: "DATE" });
const dec = (name: string): Column => ({ name, data_type: { kind: "decimal", precision: 38, scale: 2 }, native_type: "DECIMAL" });

describe("chart kinds", () => {
  it("offers a number for a single value", () => {
    expect(fittingKinds([dec("revenue")], [["10.50"]])).toEqual(["kpi", "table"]);
  });

  it("offers time charts over dates and no pie", () => {
    const kinds = fittingKinds([date("month"), dec("revenue")], [["2024-01-01", "1"], ["2024-02-01", "2"]]);
    expect(kinds).toContain("line");
    expect(kinds).toContain("area");
    expect(kinds).not.toContain("pie");
  });

  it("pivots a series column into one key per value", () => {
    const cols = [text("category"), date("month"), dec("revenue")];
    const rows = [
      ["Books", "2024-01-01", "1.50"],
      ["Toys", "2024-01-01", "2"],
      ["Books", "2024-02-01", "3"],
    ];
    const spec = specFor("line", cols, { kind: "line", x: "month", y: ["revenue"], series: "category", format: "currency" });
    const { data, keys } = chartData(spec, cols, rows);
    expect(keys).toEqual(["Books", "Toys"]);
    expect(data).toEqual([
      { __x: "2024-01-01", Books: 1.5, Toys: 2 },
      { __x: "2024-02-01", Books: 3 },
    ]);
  });

  it("derives a pie from a bar's spec", () => {
    const cols = [text("status"), dec("count")];
    const spec = specFor("pie", cols, { kind: "bar", x: "status", y: ["count"], series: null, format: "integer" });
    expect(spec).toEqual({ kind: "pie", x: "status", y: ["count"], series: null, format: "integer" });
  });
});
