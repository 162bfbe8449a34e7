import { Badge } from "@/components/ui/badge";
import type { DataSource } from "@/lib/api/types";
import { formatMs } from "@/lib/format";

export function HealthBadge({ health }: { health: DataSource["health"] }) {
  if (health.status === "ok")
    return (
      <Badge variant="success" title={health.latency_ms ? `answered in ${formatMs(health.latency_ms)}` : undefined}>
        <span className="size-1.5 rounded-full bg-current" aria-hidden /> Healthy
      </Badge>
    );
  if (health.status === "failing")
    return (
      <Badge variant="destructive" title={health.error ?? undefined}>
        <span className="size-1.5 rounded-full bg-current" aria-hidden /> Failing
      </Badge>
    );
  return (
    <Badge variant="secondary">
      <span className="size-1.5 rounded-full bg-current" aria-hidden /> Not checked
    </Badge>
  );
}

export function describeConfig(c: DataSource["config"]): string {
  switch (c.kind) {
    case "duckdb":
      return `DuckDB · ${c.path}`;
    case "postgres":
      return `Postgres · ${c.user}@${c.host}:${c.port}/${c.database}`;
    case "trino":
      return `Trino · ${c.url} · ${c.catalog}${c.schema ? `.${c.schema}` : ""}`;
  }
}
