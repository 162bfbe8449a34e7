// Which chart kinds fit a result, and the spec for each: the server's chart is the default;
// switching derives x, y and series from the columns. Specs are data, never code.
import type { ChartKind, ChartSpec, Column } from "./api/types";
import { isNumeric, isTemporal, toNumber } from "./format";

export const KIND_LABELS: Record<ChartKind, string> = {
  kpi: "Number",
  line: "Line",
  area: "Area",
  bar: "Bar",
  stacked_bar: "Stacked bar",
  pie: "Pie",
  scatter: "Scatter",
  table: "Table",
};

interface Shape {
  numbers: Column[];
  dims: Column[];
  temporal: Column[];
  rows: number;
}

function shape(columns: Column[], rows: unknown[][]): Shape {
  const numbers = columns.filter(isNumeric);
  const dims = columns.filter((c) => !isNumeric(c));
  return { numbers, dims, temporal: columns.filter(isTemporal), rows: rows.length };
}

export function fittingKinds(columns: Column[], rows: unknown[][], server?: ChartSpec): ChartKind[] {
  const s = shape(columns, rows);
  const kinds = new Set<ChartKind>();
  if (server && server.kind !== "table") kinds.add(server.kind);
  if (s.rows === 1 && s.numbers.length >= 1) kinds.add("kpi");
  if (s.rows >= 1 && s.numbers.length >= 1 && s.dims.length >= 1) kinds.add("bar");
  const ordered = s.temporal.length > 0 || (s.dims.length === 0 && s.numbers.length >= 2);
  if (s.rows >= 2 && s.numbers.length >= 1 && (s.temporal.length > 0 || (ordered && s.dims.length > 0))) {
    kinds.add("line");
    kinds.add("area");
  }
  if (s.rows >= 1 && s.dims.length >= 1 && (s.dims.length >= 2 || s.numbers.length >= 2) && s.numbers.length >= 1) {
    kinds.add("stacked_bar");
  }
  if (s.rows >= 2 && s.rows <= 12 && s.dims.length >= 1 && s.numbers.length >= 1 && s.temporal.length === 0) {
    const col = (server?.y?.[0] && columns.findIndex((c) => c.name === server.y![0])) || columns.indexOf(s.numbers[0]);
    const ok = rows.every((r) => (toNumber(r[col]) ?? 0) >= 0);
    if (ok) kinds.add("pie");
  }
  if (s.rows >= 2 && s.numbers.length >= 2) kinds.add("scatter");
  kinds.add("table");
  const order: ChartKind[] = ["kpi", "bar", "line", "area", "stacked_bar", "pie", "scatter", "table"];
  return order.filter((k) => kinds.has(k));
}

export function specFor(kind: ChartKind, columns: Column[], server?: ChartSpec): ChartSpec {
  if (server && server.kind === kind) return server;
  const numbers = columns.filter(isNumeric).map((c) => c.name);
  const dims = columns.filter((c) => !isNumeric(c)).map((c) => c.name);
  const temporal = columns.filter(isTemporal).map((c) => c.name);
  const format = server?.format ?? null;
  const serverY = (server?.y ?? []).filter((y) => numbers.includes(y));
  const y = serverY.length ? serverY : numbers.slice(0, kind === "scatter" ? 2 : 3);
  switch (kind) {
    case "kpi":
      return { kind, x: null, y: y.slice(0, 1), series: null, format };
    case "line":
    case "area": {
      const x = temporal[0] ?? server?.x ?? dims[0] ?? null;
      const series = server?.series ?? dims.find((d) => d !== x) ?? null;
      return { kind, x, y: series ? y.slice(0, 1) : y, series, format };
    }
    case "bar":
    case "stacked_bar": {
      const x = server?.x && dims.includes(server.x) ? server.x : (dims[0] ?? null);
      const series = server?.series ?? (dims.length >= 2 ? dims.find((d) => d !== x) ?? null : null);
      return { kind, x, y: series ? y.slice(0, 1) : y, series, format };
    }
    case "pie":
      return { kind, x: server?.x && dims.includes(server.x) ? server.x : (dims[0] ?? null), y: y.slice(0, 1), series: null, format };
    case "scatter":
      return { kind, x: numbers[0] ?? null, y: numbers.slice(1, 2), series: dims[0] ?? null, format };
    default:
      return { kind: "table", x: null, y: [], series: null, format };
  }
}

export interface ChartData {
  data: Record<string, string | number | null>[];
  keys: string[];
}

/**
 * Rows as Recharts wants them: one object per x, numbers parsed. With a series column the
 * long result is pivoted wide, one key per series value (the first 12 by total, the rest
 * summed as "Other").
 */
export function chartData(spec: ChartSpec, columns: Column[], rows: unknown[][]): ChartData {
  const idx = (name: string | null | undefined) => (name ? columns.findIndex((c) => c.name === name) : -1);
  const xi = idx(spec.x);
  const yNames = spec.y ?? [];
  if (spec.series && spec.kind !== "scatter" && yNames.length) {
    const si = idx(spec.series);
    const yi = idx(yNames[0]);
    const totals = new Map<string, number>();
    for (const r of rows) totals.set(String(r[si]), (totals.get(String(r[si])) ?? 0) + Math.abs(toNumber(r[yi]) ?? 0));
    const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
    const keep = new Set(ranked.slice(0, 12));
    const byX = new Map<string, Record<string, string | number | null>>();
    for (const r of rows) {
      const x = r[xi] === null ? "null" : String(r[xi]);
      const row = byX.get(x) ?? { __x: x };
      const s = String(r[si]);
      const key = keep.has(s) ? s : "Other";
      row[key] = ((row[key] as number | undefined) ?? 0) + (toNumber(r[yi]) ?? 0);
      byX.set(x, row);
    }
    const keys = ranked.slice(0, 12).concat(ranked.length > 12 ? ["Other"] : []);
    return { data: [...byX.values()], keys };
  }
  const yis = yNames.map(idx);
  const data = rows.map((r) => {
    const o: Record<string, string | number | null> = { __x: xi >= 0 ? (r[xi] === null ? "null" : (r[xi] as string | number)) : "" };
    yNames.forEach((y, i) => (o[y] = toNumber(r[yis[i]])));
    if (spec.kind === "scatter" && spec.series) o.__series = String(r[idx(spec.series)]);
    return o;
  });
  if (spec.kind === "scatter") data.forEach((d) => (d.__x = toNumber(d.__x)));
  return { data, keys: yNames };
}
