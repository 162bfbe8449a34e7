"use client";
import { useMemo } from "react";
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  Line,
  LineChart,
  Pie,
  PieChart,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { ChartSpec, Column } from "@/lib/api/types";
import { chartData } from "@/lib/chart";
import { formatNumber, humanize, isTemporal, toNumber } from "@/lib/format";

const COLORS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((i) => `var(--chart-${i})`);
const color = (i: number) => COLORS[i % COLORS.length];

const axisProps = {
  stroke: "var(--muted-foreground)",
  fontSize: 12,
  tickLine: false,
  axisLine: false,
} as const;

function tickDate(v: unknown): string {
  const s = String(v);
  const m = /^(\d{4})-(\d{2})-01$/.exec(s);
  if (m) return new Date(Date.UTC(+m[1], +m[2] - 1, 1)).toLocaleDateString("en-GB", { month: "short", year: "numeric", timeZone: "UTC" });
  return s.length > 16 ? `${s.slice(0, 15)}…` : s;
}

function TooltipBox({
  active,
  payload,
  label,
  format,
  xLabel,
}: {
  active?: boolean;
  payload?: { name?: string; value?: unknown; color?: string; dataKey?: unknown; payload?: Record<string, unknown> }[];
  label?: unknown;
  format?: ChartSpec["format"];
  xLabel: (v: unknown) => string;
}) {
  if (!active || !payload?.length) return null;
  return (
    <div className="rounded-md border bg-popover px-3 py-2 text-xs text-popover-foreground shadow-md">
      {label !== undefined && <p className="mb-1 font-medium">{xLabel(label)}</p>}
      <ul className="grid gap-0.5">
        {payload.map((p, i) => (
          <li key={i} className="flex items-center gap-2">
            <span className="size-2 rounded-sm" style={{ background: p.color }} aria-hidden />
            <span className="text-muted-foreground">{humanize(String(p.name ?? p.dataKey ?? ""))}</span>
            <span className="tabular ml-auto pl-3 font-mono font-medium">{formatNumber(p.value, format)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A declarative ChartSpec drawn with Recharts. */
export function ChartView({
  spec,
  columns,
  rows,
  height = 340,
  compact = false,
}: {
  spec: ChartSpec;
  columns: Column[];
  rows: unknown[][];
  height?: number;
  compact?: boolean;
}) {
  const { data, keys } = useMemo(() => chartData(spec, columns, rows), [spec, columns, rows]);
  const xCol = columns.find((c) => c.name === spec.x);
  const xLabel = xCol && isTemporal(xCol) ? tickDate : (v: unknown) => String(v);
  const fmt = (v: unknown) => formatNumber(v, spec.format, true);
  const legend = keys.length > 1 && !compact;
  const tooltip = <Tooltip content={<TooltipBox format={spec.format} xLabel={xLabel} />} cursor={{ fill: "var(--muted)", opacity: 0.6 }} />;

  if (spec.kind === "kpi") {
    const yi = columns.findIndex((c) => c.name === spec.y?.[0]);
    const v = rows[0]?.[yi >= 0 ? yi : columns.findIndex((c) => toNumber(rows[0]?.[columns.indexOf(c)]) !== null)];
    return (
      <div className="flex flex-col items-center justify-center gap-1 py-6" style={{ minHeight: compact ? 120 : 200 }} data-testid="chart" data-kind="kpi">
        <span className={compact ? "tabular text-4xl font-semibold tracking-tight" : "tabular text-6xl font-semibold tracking-tight"}>
          {formatNumber(v, spec.format)}
        </span>
        <span className="text-sm text-muted-foreground">{humanize(spec.y?.[0] ?? "")}</span>
      </div>
    );
  }

  let chart: React.ReactElement;
  switch (spec.kind) {
    case "line":
    case "area": {
      const Chart = spec.kind === "line" ? LineChart : AreaChart;
      chart = (
        <Chart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="var(--border)" />
          <XAxis dataKey="__x" tickFormatter={xLabel} {...axisProps} minTickGap={24} />
          <YAxis tickFormatter={fmt} {...axisProps} width={64} />
          {tooltip}
          {legend && <Legend wrapperStyle={{ fontSize: 12 }} />}
          {keys.map((k, i) =>
            spec.kind === "line" ? (
              <Line key={k} type="monotone" dataKey={k} name={k} stroke={color(i)} strokeWidth={2} dot={data.length <= 24} isAnimationActive={false} />
            ) : (
              <Area
                key={k}
                type="monotone"
                dataKey={k}
                name={k}
                stroke={color(i)}
                fill={color(i)}
                fillOpacity={0.2}
                stackId={spec.series ? "a" : undefined}
                isAnimationActive={false}
              />
            ),
          )}
        </Chart>
      );
      break;
    }
    case "pie": {
      const yKey = keys[0];
      chart = (
        <PieChart>
          {tooltip}
          <Legend wrapperStyle={{ fontSize: 12 }} layout="vertical" align="right" verticalAlign="middle" />
          <Pie data={data} dataKey={yKey} nameKey="__x" innerRadius="45%" outerRadius="80%" paddingAngle={1} isAnimationActive={false}>
            {data.map((_, i) => (
              <Cell key={i} fill={color(i)} stroke="var(--background)" />
            ))}
          </Pie>
        </PieChart>
      );
      break;
    }
    case "scatter": {
      chart = (
        <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid stroke="var(--border)" />
          <XAxis dataKey="__x" type="number" name={spec.x ?? ""} tickFormatter={fmt} {...axisProps} />
          <YAxis dataKey={keys[0]} type="number" name={keys[0]} tickFormatter={fmt} {...axisProps} width={64} />
          <Tooltip cursor={{ strokeDasharray: "3 3" }} formatter={(v) => formatNumber(v, spec.format)} />
          <Scatter data={data} fill={color(0)} isAnimationActive={false} />
        </ScatterChart>
      );
      break;
    }
    default: {
      const longLabels = data.length > 14 || data.some((d) => String(d.__x).length > 14);
      const stacked = spec.kind === "stacked_bar";
      chart = longLabels ? (
        <BarChart data={data} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid horizontal={false} stroke="var(--border)" />
          <XAxis type="number" tickFormatter={fmt} {...axisProps} />
          <YAxis type="category" dataKey="__x" tickFormatter={xLabel} {...axisProps} width={compact ? 90 : 150} interval={0} />
          {tooltip}
          {legend && <Legend wrapperStyle={{ fontSize: 12 }} />}
          {keys.map((k, i) => (
            <Bar key={k} dataKey={k} name={k} fill={color(i)} stackId={stacked ? "a" : undefined} radius={stacked ? 0 : [0, 3, 3, 0]} isAnimationActive={false} />
          ))}
        </BarChart>
      ) : (
        <BarChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="var(--border)" />
          <XAxis dataKey="__x" tickFormatter={xLabel} {...axisProps} interval="preserveStartEnd" />
          <YAxis tickFormatter={fmt} {...axisProps} width={64} />
          {tooltip}
          {legend && <Legend wrapperStyle={{ fontSize: 12 }} />}
          {keys.map((k, i) => (
            <Bar key={k} dataKey={k} name={k} fill={color(i)} stackId={stacked ? "a" : undefined} radius={stacked ? 0 : [3, 3, 0, 0]} isAnimationActive={false} />
          ))}
        </BarChart>
      );
      const h = longLabels ? Math.max(height, Math.min(data.length * 26 + 40, 900)) : height;
      return (
        <div data-testid="chart" data-kind={spec.kind} style={{ width: "100%", height: h }} role="img" aria-label={describe(spec)}>
          <ResponsiveContainer width="100%" height="100%">
            {chart}
          </ResponsiveContainer>
        </div>
      );
    }
  }
  return (
    <div data-testid="chart" data-kind={spec.kind} style={{ width: "100%", height }} role="img" aria-label={describe(spec)}>
      <ResponsiveContainer width="100%" height="100%">
        {chart}
      </ResponsiveContainer>
    </div>
  );
}

function describe(spec: ChartSpec) {
  const y = (spec.y ?? []).map(humanize).join(", ");
  return `${spec.kind.replace("_", " ")} chart of ${y}${spec.x ? ` by ${humanize(spec.x)}` : ""}${spec.series ? ` and ${humanize(spec.series)}` : ""}`;
}
