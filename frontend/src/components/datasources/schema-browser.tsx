"use client";
import { useMemo, useState } from "react";
import Link from "next/link";
import { ChevronRight, KeyRound, Link2, Search, Sparkles, Table2, Eye } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Input } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { Schema } from "@/lib/schema-types";
import { cn } from "@/lib/utils";

/** Tables on the left, the chosen table's columns on the right; one search for both. */
export function SchemaBrowser({ schema, datasourceId }: { schema: Schema; datasourceId: string }) {
  const [q, setQ] = useState("");
  const needle = q.trim().toLowerCase();
  const tables = useMemo(
    () =>
      schema.tables.filter(
        (t) => !needle || t.name.toLowerCase().includes(needle) || t.columns.some((c) => c.name.toLowerCase().includes(needle)),
      ),
    [schema, needle],
  );
  const [selected, setSelected] = useState<string | null>(null);
  const table = tables.find((t) => `${t.schema}.${t.name}` === selected) ?? tables[0];

  return (
    <div className="grid gap-4 md:grid-cols-[16rem_1fr]">
      <div className="flex flex-col gap-2">
        <div className="relative">
          <Search className="pointer-events-none absolute left-2.5 top-2.5 size-4 text-muted-foreground" aria-hidden />
          <Input value={q} onChange={(e) => setQ(e.target.value)} placeholder="Find a table or column" aria-label="Find a table or column" className="pl-8" />
        </div>
        <ul className="flex flex-col gap-0.5" aria-label="Tables">
          {tables.map((t) => {
            const key = `${t.schema}.${t.name}`;
            const active = table && key === `${table.schema}.${table.name}`;
            return (
              <li key={key}>
                <button
                  type="button"
                  onClick={() => setSelected(key)}
                  aria-current={active ? "true" : undefined}
                  className={cn(
                    "flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left text-sm hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                    active && "bg-accent font-medium",
                  )}
                >
                  {t.kind === "view" ? <Eye className="size-4 text-muted-foreground" aria-hidden /> : <Table2 className="size-4 text-muted-foreground" aria-hidden />}
                  <span className="flex-1 truncate">{t.name}</span>
                  {t.row_estimate != null && <span className="tabular text-xs text-muted-foreground">{compact(t.row_estimate)}</span>}
                  <ChevronRight className="size-3.5 text-muted-foreground" aria-hidden />
                </button>
              </li>
            );
          })}
          {tables.length === 0 && <li className="px-2 py-4 text-sm text-muted-foreground">No table or column matches.</li>}
        </ul>
      </div>
      {table && (
        <section className="min-w-0 rounded-lg border" aria-label={`Table ${table.name}`}>
          <header className="flex flex-wrap items-center justify-between gap-2 border-b px-4 py-3">
            <div>
              <h2 className="font-semibold">
                <span className="text-muted-foreground">{table.schema}.</span>
                {table.name}
              </h2>
              {table.comment && <p className="text-sm text-muted-foreground">{table.comment}</p>}
            </div>
            <div className="flex items-center gap-2">
              <Badge variant="secondary">{table.kind}</Badge>
              {table.row_estimate != null && <Badge variant="outline">≈ {table.row_estimate.toLocaleString("en-US")} rows</Badge>}
              <Link
                href={`/ask?${new URLSearchParams({ ds: datasourceId, q: `How many ${table.name.replace(/_/g, " ")} are there?` })}`}
                className="inline-flex items-center gap-1 text-sm font-medium text-primary hover:underline"
              >
                <Sparkles className="size-3.5" aria-hidden /> Ask about it
              </Link>
            </div>
          </header>
          <Table>
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Column</TableHead>
                <TableHead>Type</TableHead>
                <TableHead>Sample values</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {table.columns.map((c) => {
                const fk = table.foreign_keys.find((f) => f.columns.includes(c.name));
                return (
                  <TableRow key={c.name}>
                    <TableCell className="font-mono text-[13px]">
                      <span className="flex items-center gap-1.5">
                        {c.name}
                        {table.primary_key.includes(c.name) && (
                          <span title="Primary key">
                            <KeyRound className="size-3.5 text-warning" aria-label="Primary key" />
                          </span>
                        )}
                        {fk && (
                          <span title={`References ${fk.referenced_schema}.${fk.referenced_table}(${fk.referenced_columns.join(", ")})`}>
                            <Link2 className="size-3.5 text-primary" aria-label={`References ${fk.referenced_table}`} />
                          </span>
                        )}
                      </span>
                      {c.comment && <span className="block font-sans text-xs text-muted-foreground">{c.comment}</span>}
                    </TableCell>
                    <TableCell className="whitespace-nowrap">
                      <span className="font-mono text-xs">{c.native_type}</span>
                      {c.nullable && <span className="ml-1.5 text-xs text-muted-foreground">nullable</span>}
                    </TableCell>
                    <TableCell className="max-w-0">
                      <span className="block truncate text-xs text-muted-foreground" title={(c.sample_values ?? []).map(String).join(", ")}>
                        {(c.sample_values ?? []).map(String).join(", ") || "—"}
                      </span>
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </section>
      )}
    </div>
  );
}

function compact(n: number) {
  return new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 }).format(n);
}
