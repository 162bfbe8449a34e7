// The ask page's state: a run streams stage events (context → sql → executing → result →
// chart → done) or ends in an error; the reducer turns them into what the page shows.
import { ApiError } from "./api/errors";
import type { ChartSpec, Column, QueryResponse, StreamEvent } from "./api/types";

export type Stage = "context" | "sql" | "executing" | "result" | "chart";
export const STAGES: { id: Stage; label: string }[] = [
  { id: "context", label: "Finding tables" },
  { id: "sql", label: "Writing SQL" },
  { id: "executing", label: "Running" },
  { id: "result", label: "Reading results" },
  { id: "chart", label: "Choosing a chart" },
];

export type RunKind = "question" | "sql" | "rerun";

export interface AskState {
  status: "idle" | "running" | "done" | "error";
  kind: RunKind;
  question: string | null;
  reached: Stage[];
  tables: string[];
  sql: string | null;
  explanation: string | null;
  columns: Column[] | null;
  rowCount: number | null;
  chart: ChartSpec | null;
  answer: QueryResponse | null;
  error: ApiError | null;
  startedAt: number | null;
}

export const initialAskState: AskState = {
  status: "idle",
  kind: "question",
  question: null,
  reached: [],
  tables: [],
  sql: null,
  explanation: null,
  columns: null,
  rowCount: null,
  chart: null,
  answer: null,
  error: null,
  startedAt: null,
};

export type AskAction =
  | { type: "start"; kind: RunKind; question: string | null; sql?: string | null; at: number }
  | { type: "event"; event: StreamEvent }
  | { type: "fail"; error: ApiError }
  | { type: "reset" };

const ORDER: Stage[] = ["context", "sql", "executing", "result", "chart"];

/** Reaching a stage means every stage before it is behind us too. */
function reach(stage: Stage): Stage[] {
  return ORDER.slice(0, ORDER.indexOf(stage) + 1);
}

export function askReducer(s: AskState, a: AskAction): AskState {
  switch (a.type) {
    case "start":
      return {
        ...initialAskState,
        status: "running",
        kind: a.kind,
        question: a.question,
        sql: a.sql ?? null,
        startedAt: a.at,
        // Edited SQL skips linking and generation.
        reached: a.kind === "sql" ? ["context", "sql"] : [],
      };
    case "event": {
      const e = a.event;
      switch (e.event) {
        case "context":
          return { ...s, reached: reach("context"), tables: e.tables };
        case "sql":
          return { ...s, reached: reach("sql"), sql: e.sql, explanation: e.explanation ?? null };
        case "executing":
          return { ...s, reached: reach("executing") };
        case "result":
          return { ...s, reached: reach("result"), columns: e.columns, rowCount: e.row_count };
        case "chart":
          return { ...s, reached: reach("chart"), chart: e.chart };
        case "done":
          return {
            ...s,
            status: "done",
            reached: ORDER,
            answer: e.answer,
            question: e.answer.question ?? s.question,
            sql: e.answer.sql,
            explanation: e.answer.explanation ?? s.explanation,
            columns: e.answer.columns,
            chart: e.answer.chart,
            rowCount: e.answer.row_count,
          };
        case "error":
          return { ...s, status: "error", error: new ApiError(200, e.error) };
        default:
          return s;
      }
    }
    case "fail":
      return { ...s, status: "error", error: a.error };
    case "reset":
      return initialAskState;
  }
}
