"use client";
import { forwardRef } from "react";
import { Database, Sparkles } from "lucide-react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { EmptyState } from "@/components/app/page-header";
import type { DataSource } from "@/lib/api/types";
import type { AskState } from "@/lib/ask-state";
import type { Schema } from "@/lib/schema-types";
import { Answer } from "./answer";
import { AskBox } from "./ask-box";

export interface AskViewProps {
  state: AskState;
  sources: DataSource[];
  sourcesLoading: boolean;
  datasourceId?: string;
  onDatasource: (id: string) => void;
  schema?: Schema;
  examples: string[];
  examplesLoading: boolean;
  canRun: boolean;
  canManageSources: boolean;
  question: string;
  onQuestion: (v: string) => void;
  onAsk: (q: string) => void;
  onRunSql: (sql: string) => void;
  onRerun: (queryId: string) => void;
  onCancel: () => void;
}

/** The ask page as a function of its state: the box, examples, and the answer. */
export const AskView = forwardRef<HTMLTextAreaElement, AskViewProps>(function AskView(p, ref) {
  const running = p.state.status === "running";
  if (!p.sourcesLoading && p.sources.length === 0) {
    return (
      <EmptyState
        icon={Database}
        title="No data sources yet"
        action={
          p.canManageSources ? (
            <Button asChild>
              <Link href="/datasources/new">Add a data source</Link>
            </Button>
          ) : undefined
        }
      >
        {p.canManageSources ? "Connect a warehouse to start asking questions." : "Ask an admin to connect a warehouse."}
      </EmptyState>
    );
  }
  return (
    <div className="flex flex-col gap-6">
      {!p.canRun && (
        <p className="rounded-md border border-dashed px-3 py-2 text-sm text-muted-foreground">
          Your role can read answers and history but not run questions. Ask an admin for the analyst role.
        </p>
      )}
      <AskBox
        ref={ref}
        sources={p.sources}
        datasourceId={p.datasourceId}
        onDatasource={p.onDatasource}
        onAsk={p.onAsk}
        onCancel={p.onCancel}
        running={running}
        disabled={!p.canRun}
        value={p.question}
        onChange={p.onQuestion}
      />
      {p.state.status === "idle" && (
        <div className="flex flex-col gap-2" data-testid="examples">
          <p className="flex items-center gap-1.5 text-sm text-muted-foreground">
            <Sparkles className="size-4" aria-hidden /> Try asking
          </p>
          <div className="flex flex-wrap gap-2">
            {p.examplesLoading
              ? [0, 1, 2, 3].map((i) => <Skeleton key={i} className="h-8 w-56" />)
              : p.examples.map((q) => (
                  <Button
                    key={q}
                    variant="outline"
                    size="sm"
                    className="h-auto rounded-full py-1.5 font-normal"
                    disabled={!p.canRun}
                    onClick={() => {
                      p.onQuestion(q);
                      p.onAsk(q);
                    }}
                  >
                    {q}
                  </Button>
                ))}
          </div>
        </div>
      )}
      {p.state.status !== "idle" && (
        <Answer
          state={p.state}
          datasourceId={p.datasourceId}
          schema={p.schema}
          canRun={p.canRun}
          onRunSql={p.onRunSql}
          onAsk={(q) => {
            p.onQuestion(q);
            p.onAsk(q);
          }}
          onRerun={p.onRerun}
        />
      )}
    </div>
  );
});
