import { describe, expect, it } from "vitest";
import { exampleQuestions } from "./examples";
import { formatCell, formatNumber, humanize } from "./format";
import { slugify } from "./semantic";
import { schema } from "@/test/fixtures";

describe("formatting", () => {
  it("keeps a decimal's digits and adds separators", () => {
    expect(formatCell("1234567.50", { kind: "decimal", precision: 38, scale: 2 })).toBe("1,234,567.50");
    expect(formatCell(71944, { kind: "integer", bits: 64 })).toBe("71,944");
    expect(formatCell(null, { kind: "text" })).toBe("null");
  });

  it("formats measures by the chart's format", () => {
    expect(formatNumber("1234.5", "currency")).toBe("$1,234.50");
    expect(formatNumber(1_250_000, "integer", true)).toBe("1.3M");
    expect(formatNumber(0.256, "percent")).toBe("25.6%");
  });

  it("humanizes column names", () => {
    expect(humanize("order_date_month")).toBe("Order date month");
  });

  it("names model files as the server does", () => {
    expect(slugify("Retail demo (DuckDB)")).toBe("retail-demo-duckdb");
  });
});

describe("example questions", () => {
  it("draws questions from sampled categories, measures and dates, biggest tables first", () => {
    expect(exampleQuestions(schema)).toEqual([
      "How many orders are there by status?",
      "How many products are there by category?",
      "How many orders were there by month?",
      "Average list price of products by category",
    ]);
  });
});
