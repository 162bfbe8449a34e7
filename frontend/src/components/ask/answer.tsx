"use client";
import { useEffect, useMemo, useState } from "react";
import { useMutation } from "@tanstack/react-query";
import {
  BarChart3,
  Check,
  Copy,
  Database,
  Download,
  Gauge,
  Lightbulb,
  Play,
  RotateCcw,
  ThumbsDown,
  ThumbsUp,
  Zap,
} from "lucide-react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Tooltip } from "@/components/ui/tooltip";
import { ErrorNotice } from "@/components/app/error-notice";
import { api } from "@/lib/api/client";
import { isCode } from "@/lib/api/errors";
import type { ChartKind, QueryResponse, Rating } from "@/lib/api/types";
import type { AskState } from "@/lib/ask-state";
import { fittingKinds, KIND_LABELS, specFor } from "@/lib/chart";
import { formatAge, formatMs } from "@/lib/format";
import { prettySql } from "@/lib/sql";
import type { Schema } from "@/lib/schema-types";
import { ChartView } from "./chart-view";
import { ResultTable } from "./result-table";
import { SaveDialog } from "./save-dialog";
import { SqlEditor } from "./sql-editor";
import { StageProgress } from "./stage-progress";

export interface AnswerProps {
  state: AskState;
  datasourceId?: string;
  schema?: Schema;
  canRun: boolean;
  onRunSql: (sql: string) => void;
  onAsk: (question: string) => void;
  onRerun?: (queryId: string) => void;
}

/** Everything about one answer: progress, SQL, interpretation, chart, table and actions. */
export function Answer({ state, datasourceId, schema, canRun, onRunSql, onAsk, onRerun }: AnswerProps) {
  const answer = state.answer;
  const pretty = useMemo(() => prettySql(state.sql), [state.sql]);
  const [draft, setDraft] = useState(pretty);
  useEffect(() => setDraft(pretty), [pretty]);
  const edited = draft.trim() !== pretty.trim();
  const runDraft = () => {
    if (canRun && datasourceId && draft.trim() && state.status !== "running") onRunSql(draft);
  };

  return (
    <section className="flex flex-col gap-4" aria-label="Answer" data-testid="answer" data-status={state.status}>
      <div className="flex flex-col gap-2">
        {state.question && (
          <h2 className="text-lg font-semibold leading-snug" data-testid="answer-question">
            {state.question}
          </h2>
        )}
        {state.kind === "sql" && !state.question && <h2 className="text-lg font-semibold">Edited SQL</h2>}
        <StageProgress state={state} />
      </div>

      {state.status === "error" && state.error && <AnswerError state={state} onAsk={onAsk} />}

      {(answer?.generation?.interpretation || state.explanation) && (
        <div className="flex items-start gap-2 rounded-md bg-muted/60 px-3 py-2 text-sm" data-testid="interpretation">
          <Lightbulb className="mt-0.5 size-4 shrink-0 text-warning" aria-hidden />
          <div>
            {answer?.generation?.interpretation && (
              <p>
                <span className="text-muted-foreground">Understood as </span>
                <span className="font-medium">{answer.generation.interpretation}</span>
              </p>
            )}
            {state.explanation && <p className="text-muted-foreground">{state.explanation}</p>}
          </div>
        </div>
      )}

      {answer && <AnswerMeta answer={answer} />}

      {answer && <ResultSection answer={answer} />}

      {state.status === "running" && !answer && <ResultSkeleton />}

      {(state.sql || state.kind === "sql") && (
        <Card>
          <CardHeader className="flex-row items-center justify-between gap-2 space-y-0 pb-2">
            <CardTitle className="text-sm">SQL</CardTitle>
            <div className="flex items-center gap-1.5">
              {edited && (
                <Button variant="ghost" size="sm" onClick={() => setDraft(pretty)}>
                  <RotateCcw /> Revert
                </Button>
              )}
              <CopyButton text={draft} label="Copy SQL" />
              {canRun && (
                <Button size="sm" variant={edited ? "default" : "outline"} onClick={runDraft} disabled={!draft.trim() || state.status === "running" || !datasourceId}>
                  <Play /> {edited ? "Run edited SQL" : "Run again"}
                </Button>
              )}
            </div>
          </CardHeader>
          <CardContent>
            <SqlEditor value={draft} onChange={setDraft} onRun={runDraft} schema={schema} readOnly={!canRun} />
            {canRun && <p className="mt-1.5 text-xs text-muted-foreground">Edit freely; Ctrl+Enter runs. Every statement goes through the guard.</p>}
          </CardContent>
        </Card>
      )}

      {answer && (
        <AnswerActions answer={answer} canRun={canRun} onRerun={onRerun} />
      )}
    </section>
  );
}

function AnswerError({ state, onAsk }: { state: AskState; onAsk: (q: string) => void }) {
  const err = state.error!;
  if (isCode(err, "cancelled")) {
    return <p className="text-sm text-muted-foreground">Stopped. Ask again whenever you are ready.</p>;
  }
  return (
    <ErrorNotice error={err}>
      {err.suggestions.length > 0 && (
        <div className="mt-3" data-testid="suggestions">
          <p className="mb-1.5 text-sm text-foreground">Try one of these instead:</p>
          <div className="flex flex-wrap gap-2">
            {err.suggestions.map((s) => (
              <Button key={s} variant="outline" size="sm" className="h-auto whitespace-normal py-1 text-left" onClick={() => onAsk(s)}>
                {s}
              </Button>
            ))}
          </div>
        </div>
      )}
    </ErrorNotice>
  );
}

function AnswerMeta({ answer }: { answer: QueryResponse }) {
  const t = answer.timings;
  const gen = answer.generation;
  return (
    <div className="flex flex-wrap items-center gap-1.5" data-testid="answer-meta">
      <Badge variant="secondary" className="tabular">
        <Database /> {answer.row_count.toLocaleString("en-US")} {answer.row_count === 1 ? "row" : "rows"}
        {answer.truncated && " (truncated)"}
      </Badge>
      {answer.cache.hit ? (
        <Badge variant="success" data-testid="cache-badge">
          <Zap /> Cached · {formatAge(answer.cache.age_seconds)} old
        </Badge>
      ) : (
        <Badge variant="outline" data-testid="cache-badge">
          <Zap /> Fresh from the warehouse
        </Badge>
      )}
      <Tooltip
        content={
          <span className="tabular grid grid-cols-[auto_auto] gap-x-3">
            <span>Context</span>
            <span className="text-right">{formatMs(t.context_ms)}</span>
            <span>Generate</span>
            <span className="text-right">{formatMs(t.generate_ms)}</span>
            <span>Guard</span>
            <span className="text-right">{formatMs(t.guard_ms)}</span>
            <span>Cache</span>
            <span className="text-right">{formatMs(t.cache_ms)}</span>
            <span>Execute</span>
            <span className="text-right">{formatMs(t.execute_ms)}</span>
            <span>Chart</span>
            <span className="text-right">{formatMs(t.chart_ms)}</span>
          </span>
        }
      >
        <Badge variant="outline" className="tabular cursor-default" tabIndex={0} data-testid="timings">
          <Gauge /> {formatMs(t.total_ms)} total · {formatMs(t.execute_ms)} in the warehouse
        </Badge>
      </Tooltip>
      {gen && (
        <Badge variant="outline">
          {gen.engine}
          {gen.model ? ` · ${gen.model}` : ""}
          {typeof gen.confidence === "number" && ` · ${Math.round(gen.confidence * 100)}% sure`}
          {gen.corrected && " · self-corrected"}
        </Badge>
      )}
      {answer.truncated && <Badge variant="warning">Only the first {answer.row_count.toLocaleString("en-US")} rows are shown</Badge>}
    </div>
  );
}

function ResultSection({ answer }: { answer: QueryResponse }) {
  const kinds = useMemo(() => fittingKinds(answer.columns, answer.rows, answer.chart), [answer]);
  const [kind, setKind] = useState<ChartKind>(answer.chart.kind);
  useEffect(() => setKind(answer.chart.kind), [answer]);
  const spec = useMemo(() => specFor(kind, answer.columns, answer.chart), [kind, answer]);
  return (
    <div className="grid gap-4">
      {kinds.length > 1 && (
        <Card>
          <CardHeader className="flex-row flex-wrap items-center justify-between gap-2 pb-0">
            <CardTitle className="flex items-center gap-2 text-sm">
              <BarChart3 className="size-4 text-muted-foreground" aria-hidden /> Chart
            </CardTitle>
            <div role="radiogroup" aria-label="Chart type" className="flex flex-wrap gap-1 rounded-lg bg-muted p-1">
              {kinds.map((k) => (
                <button
                  key={k}
                  type="button"
                  role="radio"
                  aria-checked={kind === k}
                  onClick={() => setKind(k)}
                  className="rounded-md px-2.5 py-1 text-xs font-medium text-muted-foreground transition-colors hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring aria-checked:bg-background aria-checked:text-foreground aria-checked:shadow-sm"
                >
                  {KIND_LABELS[k]}
                </button>
              ))}
            </div>
          </CardHeader>
          <CardContent className="pt-4">
            {kind === "table" ? (
              <p className="py-8 text-center text-sm text-muted-foreground">The rows are in the table below.</p>
            ) : (
              <ChartView spec={spec} columns={answer.columns} rows={answer.rows} />
            )}
          </CardContent>
        </Card>
      )}
      <Card>
        <CardHeader className="flex-row items-center justify-between gap-2 pb-2">
          <CardTitle className="text-sm">Result</CardTitle>
          <Button variant="outline" size="sm" asChild>
            <a href={`/api/v1/queries/${answer.query_id}/result.csv`} download>
              <Download /> CSV
            </a>
          </Button>
        </CardHeader>
        <CardContent>
          <ResultTable columns={answer.columns} rows={answer.rows} />
        </CardContent>
      </Card>
    </div>
  );
}

function AnswerActions({ answer, canRun, onRerun }: { answer: QueryResponse; canRun: boolean; onRerun?: (id: string) => void }) {
  const [rated, setRated] = useState<Rating | null>(null);
  useEffect(() => setRated(null), [answer.query_id]);
  const feedback = useMutation({
    mutationFn: (rating: Rating) => api<void>(`/queries/${answer.query_id}/feedback`, { method: "POST", json: { rating } }),
    onSuccess: (_, rating) => {
      setRated(rating);
      toast.success(rating === "up" ? "Thanks — upvoted answers teach the engines" : "Thanks for the feedback");
    },
    onError: (e) => toast.error(e.message),
  });
  return (
    <div className="flex flex-wrap items-center justify-between gap-2 border-t pt-4">
      <div className="flex items-center gap-1.5">
        <span className="text-sm text-muted-foreground">Was this right?</span>
        <Button
          variant={rated === "up" ? "default" : "outline"}
          size="icon-sm"
          aria-label="Good answer"
          aria-pressed={rated === "up"}
          onClick={() => feedback.mutate("up")}
          disabled={feedback.isPending}
        >
          <ThumbsUp />
        </Button>
        <Button
          variant={rated === "down" ? "default" : "outline"}
          size="icon-sm"
          aria-label="Wrong answer"
          aria-pressed={rated === "down"}
          onClick={() => feedback.mutate("down")}
          disabled={feedback.isPending}
        >
          <ThumbsDown />
        </Button>
      </div>
      <div className="flex items-center gap-1.5">
        {canRun && onRerun && (
          <Button variant="ghost" size="sm" onClick={() => onRerun(answer.query_id)}>
            <RotateCcw /> Re-run
          </Button>
        )}
        {canRun && <SaveDialog datasourceId={answer.datasource_id} question={answer.question ?? null} sql={answer.sql} />}
      </div>
    </div>
  );
}

function ResultSkeleton() {
  return (
    <div className="grid gap-4" aria-hidden>
      <div className="h-72 animate-pulse rounded-lg border bg-muted/40" />
      <div className="h-40 animate-pulse rounded-lg border bg-muted/40" />
    </div>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <Button
      variant="ghost"
      size="sm"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setDone(true);
          setTimeout(() => setDone(false), 1500);
        } catch {
          toast.error("Copying needs clipboard access");
        }
      }}
    >
      {done ? <Check /> : <Copy />} {done ? "Copied" : label}
    </Button>
  );
}
