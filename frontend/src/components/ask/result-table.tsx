"use client";
import { useMemo, useState } from "react";
import {
  flexRender,
  getCoreRowModel,
  getPaginationRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from "@tanstack/react-table";
import { ArrowDown, ArrowUp, ArrowUpDown, Calendar, ChevronLeft, ChevronRight, Hash, ToggleLeft, Type, Braces } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import type { Column } from "@/lib/api/types";
import { classify, formatCell, toNumber, type ColumnClass } from "@/lib/format";
import { cn } from "@/lib/utils";

const TYPE_ICON: Record<ColumnClass, React.ComponentType<{ className?: string }>> = {
  number: Hash,
  date: Calendar,
  boolean: ToggleLeft,
  text: Type,
  other: Braces,
};

type Row = unknown[];

/** The result rows: sortable by any column, paginated, each column's type shown. */
export function ResultTable({ columns, rows, pageSize: initialPageSize = 25 }: { columns: Column[]; rows: Row[]; pageSize?: number }) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const [pagination, setPagination] = useState({ pageIndex: 0, pageSize: initialPageSize });

  const defs = useMemo<ColumnDef<Row>[]>(
    () =>
      columns.map((c, i) => {
        const cls = classify(c.data_type);
        return {
          id: `${i}:${c.name}`,
          accessorFn: (r) => r[i],
          header: c.name,
          meta: { column: c, cls },
          sortingFn:
            cls === "number"
              ? (a, b, id) => (toNumber(a.getValue(id)) ?? -Infinity) - (toNumber(b.getValue(id)) ?? -Infinity)
              : (a, b, id) => {
                  const x = a.getValue(id);
                  const y = b.getValue(id);
                  if (x === y) return 0;
                  if (x === null || x === undefined) return -1;
                  if (y === null || y === undefined) return 1;
                  return String(x).localeCompare(String(y), undefined, { numeric: true });
                },
          cell: (ctx) => {
            const v = ctx.getValue();
            if (v === null || v === undefined) return <span className="text-muted-foreground/70 italic">null</span>;
            return formatCell(v, c.data_type);
          },
        } satisfies ColumnDef<Row>;
      }),
    [columns],
  );

  const table = useReactTable({
    data: rows,
    columns: defs,
    state: { sorting, pagination },
    onSortingChange: setSorting,
    onPaginationChange: setPagination,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getPaginationRowModel: getPaginationRowModel(),
  });

  const { pageIndex, pageSize } = table.getState().pagination;
  const from = rows.length === 0 ? 0 : pageIndex * pageSize + 1;
  const to = Math.min(rows.length, (pageIndex + 1) * pageSize);

  return (
    <div className="flex flex-col gap-2">
      <div className="max-h-[560px] overflow-auto rounded-md border">
        <Table data-testid="result-table">
          <TableHeader className="sticky top-0 z-10 bg-card">
            {table.getHeaderGroups().map((hg) => (
              <TableRow key={hg.id} className="hover:bg-transparent">
                {hg.headers.map((h) => {
                  const meta = h.column.columnDef.meta as { column: Column; cls: ColumnClass };
                  const Icon = TYPE_ICON[meta.cls];
                  const sorted = h.column.getIsSorted();
                  return (
                    <TableHead
                      key={h.id}
                      className={cn(meta.cls === "number" && "text-right")}
                      aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}
                    >
                      <button
                        type="button"
                        onClick={h.column.getToggleSortingHandler()}
                        className={cn(
                          "inline-flex items-center gap-1.5 rounded px-1 py-0.5 hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                          meta.cls === "number" && "flex-row-reverse",
                        )}
                        title={`${meta.column.name} · ${meta.column.native_type}. Sort`}
                      >
                        <Icon className="size-3.5 opacity-60" aria-hidden />
                        <span className="font-semibold text-foreground">{meta.column.name}</span>
                        {sorted === "asc" ? (
                          <ArrowUp className="size-3.5" aria-hidden />
                        ) : sorted === "desc" ? (
                          <ArrowDown className="size-3.5" aria-hidden />
                        ) : (
                          <ArrowUpDown className="size-3.5 opacity-30" aria-hidden />
                        )}
                      </button>
                      <span className="sr-only"> ({meta.column.native_type})</span>
                    </TableHead>
                  );
                })}
              </TableRow>
            ))}
          </TableHeader>
          <TableBody>
            {table.getRowModel().rows.map((r) => (
              <TableRow key={r.id}>
                {r.getVisibleCells().map((cell) => {
                  const meta = cell.column.columnDef.meta as { cls: ColumnClass };
                  return (
                    <TableCell
                      key={cell.id}
                      className={cn("max-w-[28rem] truncate", meta.cls === "number" && "tabular text-right font-mono text-[13px]")}
                    >
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </TableCell>
                  );
                })}
              </TableRow>
            ))}
            {rows.length === 0 && (
              <TableRow>
                <TableCell colSpan={columns.length} className="py-8 text-center text-muted-foreground">
                  The query returned no rows.
                </TableCell>
              </TableRow>
            )}
          </TableBody>
        </Table>
      </div>
      <div className="flex flex-wrap items-center justify-between gap-2 text-xs text-muted-foreground">
        <span className="tabular">
          {from.toLocaleString("en-US")}–{to.toLocaleString("en-US")} of {rows.length.toLocaleString("en-US")} rows
        </span>
        <div className="flex items-center gap-2">
          <label className="flex items-center gap-1.5">
            <span>Rows per page</span>
            <Select value={String(pageSize)} onValueChange={(v) => table.setPageSize(Number(v))}>
              <SelectTrigger className="h-7 w-18 text-xs" aria-label="Rows per page">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                {[10, 25, 50, 100].map((n) => (
                  <SelectItem key={n} value={String(n)}>
                    {n}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          </label>
          <Button
            variant="outline"
            size="icon-sm"
            onClick={() => table.previousPage()}
            disabled={!table.getCanPreviousPage()}
            aria-label="Previous page"
          >
            <ChevronLeft />
          </Button>
          <span className="tabular">
            Page {pageIndex + 1} of {Math.max(1, table.getPageCount())}
          </span>
          <Button variant="outline" size="icon-sm" onClick={() => table.nextPage()} disabled={!table.getCanNextPage()} aria-label="Next page">
            <ChevronRight />
          </Button>
        </div>
      </div>
    </div>
  );
}
