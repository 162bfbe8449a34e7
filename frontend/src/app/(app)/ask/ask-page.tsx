"use client";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { AskView } from "@/components/ask/ask-view";
import { useAsk } from "@/components/ask/use-ask";
import { useSaved, useSchema } from "@/lib/hooks/queries";
import { useCurrentDataSource } from "@/lib/hooks/use-current-datasource";
import { exampleQuestions } from "@/lib/examples";
import { useCan } from "@/lib/me";

/**
 * The ask page. Its URL says what to show: `?q=` asks a question, `?saved=` runs a saved
 * question's SQL, `?rerun=` re-runs a query of the history; `?ds=` picks the data source.
 */
export function AskPage() {
  const params = useSearchParams();
  const router = useRouter();
  const canRun = useCan("queries:run");
  const canManage = useCan("datasources:manage");
  const { sources, current, setCurrent } = useCurrentDataSource();
  const schema = useSchema(current?.id);
  const saved = useSaved(!!params.get("saved"));
  const { state, run, cancel } = useAsk();
  const [question, setQuestion] = useState(params.get("q") ?? "");
  const box = useRef<HTMLTextAreaElement>(null);
  const handled = useRef<string | null>(null);

  const examples = useMemo(() => exampleQuestions(schema.data?.schema), [schema.data]);

  const ask = useCallback(
    (q: string) => {
      if (!current) return;
      const url = new URLSearchParams({ q, ds: current.id });
      handled.current = url.toString();
      router.replace(`/ask?${url}`, { scroll: false });
      void run({ kind: "question", datasourceId: current.id, question: q });
    },
    [current, router, run],
  );

  // Deep links from history, saved questions and the dashboard.
  useEffect(() => {
    const key = params.toString();
    if (!current || handled.current === key) return;
    const ds = params.get("ds");
    if (ds && ds !== current.id && sources.data?.some((s) => s.id === ds)) {
      setCurrent(ds);
      return;
    }
    const q = params.get("q");
    const rerun = params.get("rerun");
    const savedId = params.get("saved");
    if (params.get("focus")) box.current?.focus();
    if (rerun) {
      handled.current = key;
      void run({ kind: "rerun", queryId: rerun, question: params.get("title") });
    } else if (savedId) {
      const s = saved.data?.find((x) => x.id === savedId);
      if (!s) return;
      handled.current = key;
      setQuestion(s.question ?? "");
      void run({ kind: "sql", datasourceId: s.datasource_id, sql: s.sql, question: s.name });
    } else if (q && canRun) {
      handled.current = key;
      setQuestion(q);
      void run({ kind: "question", datasourceId: current.id, question: q });
    } else {
      handled.current = key;
    }
  }, [params, current, sources.data, setCurrent, run, saved.data, canRun]);

  return (
    <div className="mx-auto flex w-full max-w-6xl flex-col gap-6 px-6 py-6">
      <h1 className="sr-only">Ask</h1>
      <AskView
        ref={box}
        state={state}
        sources={sources.data ?? []}
        sourcesLoading={sources.isLoading}
        datasourceId={current?.id}
        onDatasource={setCurrent}
        schema={schema.data?.schema}
        examples={examples}
        examplesLoading={schema.isLoading}
        canRun={canRun}
        canManageSources={canManage}
        question={question}
        onQuestion={setQuestion}
        onAsk={ask}
        onRunSql={(sql) => current && run({ kind: "sql", datasourceId: current.id, sql, question: state.question })}
        onRerun={(id) => run({ kind: "rerun", queryId: id, question: state.question })}
        onCancel={cancel}
      />
    </div>
  );
}
