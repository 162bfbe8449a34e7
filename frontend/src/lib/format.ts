import type { Column, DataType, ValueFormat } from "./api/types";

export type ColumnClass = "number" | "date" | "boolean" | "text" | "other";

export function classify(t: DataType): ColumnClass {
  switch (t.kind) {
    case "integer":
    case "float":
    case "decimal":
      return "number";
    case "date":
    case "timestamp":
    case "timestamp_tz":
      return "date";
    case "boolean":
      return "boolean";
    case "text":
    case "uuid":
      return "text";
    default:
      return "other";
  }
}

export const isNumeric = (c: Pick<Column, "data_type">) => classify(c.data_type) === "number";
export const isTemporal = (c: Pick<Column, "data_type">) => classify(c.data_type) === "date";

/** Decimals arrive as strings (exact); charts and sorting need numbers. */
export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string") {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  if (typeof v === "boolean") return v ? 1 : 0;
  return null;
}

const nf = (opts: Intl.NumberFormatOptions) => new Intl.NumberFormat("en-US", opts);
const INTEGER = nf({ maximumFractionDigits: 0 });
const NUMBER = nf({ maximumFractionDigits: 2 });
const CURRENCY = nf({ style: "currency", currency: "USD", maximumFractionDigits: 2 });
const PERCENT = nf({ style: "percent", maximumFractionDigits: 1 });
const COMPACT = nf({ notation: "compact", maximumFractionDigits: 1 });
const COMPACT_CURRENCY = nf({ style: "currency", currency: "USD", notation: "compact", maximumFractionDigits: 1 });
const WHOLE_CURRENCY = nf({ style: "currency", currency: "USD", maximumFractionDigits: 0 });

export function formatNumber(v: unknown, format?: ValueFormat | null, compact = false): string {
  const n = toNumber(v);
  if (n === null) return v === null || v === undefined ? "—" : String(v);
  switch (format) {
    case "currency":
      if (compact) return Math.abs(n) >= 10_000 ? COMPACT_CURRENCY.format(n) : Number.isInteger(n) ? WHOLE_CURRENCY.format(n) : CURRENCY.format(n);
      return CURRENCY.format(n);
    case "percent":
      return PERCENT.format(Math.abs(n) > 1 ? n / 100 : n);
    case "integer":
      return compact && Math.abs(n) >= 10_000 ? COMPACT.format(n) : INTEGER.format(n);
    default:
      return compact && Math.abs(n) >= 10_000 ? COMPACT.format(n) : NUMBER.format(n);
  }
}

export function formatDate(v: unknown, kind: DataType["kind"] = "date"): string {
  if (v === null || v === undefined) return "—";
  const s = String(v);
  if (kind === "date" && /^\d{4}-\d{2}-\d{2}$/.test(s)) return s;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/ 00:00:00Z$/, "");
}

/** A cell as a person reads it. Numbers keep their precision; only separators are added. */
export function formatCell(v: unknown, t: DataType): string {
  if (v === null || v === undefined) return "null";
  switch (classify(t)) {
    case "number": {
      const n = toNumber(v);
      if (n === null) return String(v);
      if (t.kind === "decimal" && typeof v === "string") {
        const [int, frac] = v.split(".");
        return frac !== undefined ? `${INTEGER.format(Number(int))}.${frac}`.replace(/^0\./, "0.") : INTEGER.format(n);
      }
      return t.kind === "integer" ? INTEGER.format(n) : nf({ maximumFractionDigits: 6 }).format(n);
    }
    case "date":
      return formatDate(v, t.kind);
    case "boolean":
      return v ? "true" : "false";
    default:
      return typeof v === "object" ? JSON.stringify(v) : String(v);
  }
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1) return "<1 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatAge(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

const RTF = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
export function relativeTime(iso: string, now = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return "just now";
  if (abs < 3600) return RTF.format(Math.round(s / 60), "minute");
  if (abs < 86400) return RTF.format(Math.round(s / 3600), "hour");
  if (abs < 30 * 86400) return RTF.format(Math.round(s / 86400), "day");
  return new Date(iso).toLocaleDateString("en-GB", { year: "numeric", month: "short", day: "numeric" });
}

export function absoluteTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" });
}

/** "order_date_month" → "Order date month". */
export function humanize(name: string): string {
  const s = name.replace(/_/g, " ").trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
