"use client";
import { useCallback, useReducer, useRef } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { streamPost } from "@/lib/api/client";
import { ApiError } from "@/lib/api/errors";
import { askReducer, initialAskState, type RunKind } from "@/lib/ask-state";

export interface RunRequest {
  kind: RunKind;
  datasourceId?: string;
  question?: string | null;
  sql?: string;
  queryId?: string;
}

/** Runs a question, edited SQL or a re-run, streaming its stages into the reducer. */
export function useAsk() {
  const [state, dispatch] = useReducer(askReducer, initialAskState);
  const abort = useRef<AbortController | null>(null);
  const qc = useQueryClient();

  const run = useCallback(
    async (req: RunRequest) => {
      abort.current?.abort();
      const ctrl = new AbortController();
      abort.current = ctrl;
      dispatch({ type: "start", kind: req.kind, question: req.question ?? null, sql: req.sql ?? null, at: Date.now() });
      let path: string;
      let body: unknown;
      if (req.kind === "question") {
        path = "/query";
        body = { datasource_id: req.datasourceId, question: req.question };
      } else if (req.kind === "sql") {
        path = "/sql";
        body = { datasource_id: req.datasourceId, sql: req.sql };
      } else {
        path = `/queries/${req.queryId}/rerun`;
        body = undefined;
      }
      try {
        let ended = false;
        for await (const event of streamPost(path, body, ctrl.signal)) {
          if (ctrl.signal.aborted) return;
          dispatch({ type: "event", event });
          if (event.event === "done" || event.event === "error") ended = true;
        }
        if (!ended && !ctrl.signal.aborted) {
          dispatch({ type: "fail", error: new ApiError(0, { code: "network", message: "the answer stopped before it was complete" }) });
        }
      } catch (e) {
        if (ctrl.signal.aborted) return;
        dispatch({
          type: "fail",
          error: e instanceof ApiError ? e : new ApiError(0, { code: "network", message: (e as Error).message }),
        });
      } finally {
        if (abort.current === ctrl) abort.current = null;
        void qc.invalidateQueries({ queryKey: ["queries"] });
      }
    },
    [qc],
  );

  const cancel = useCallback(() => {
    abort.current?.abort();
    abort.current = null;
    dispatch({ type: "fail", error: new ApiError(0, { code: "cancelled", message: "you stopped this question" }) });
  }, []);

  const reset = useCallback(() => {
    abort.current?.abort();
    dispatch({ type: "reset" });
  }, []);

  return { state, run, cancel, reset };
}
