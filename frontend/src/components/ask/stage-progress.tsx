"use client";
import { useEffect, useState } from "react";
import { Check, Loader2 } from "lucide-react";
import { STAGES, type AskState } from "@/lib/ask-state";
import { cn } from "@/lib/utils";

/** The stages of a running answer, live: done ones ticked, the current one spinning. */
export function StageProgress({ state }: { state: AskState }) {
  const running = state.status === "running";
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(t);
  }, [running]);
  const current = STAGES.findIndex((s) => !state.reached.includes(s.id));
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-2" role="status" aria-live="polite" aria-label="Progress">
      <ol className="flex flex-wrap items-center gap-x-1 gap-y-2">
        {STAGES.map((s, i) => {
          const done = state.reached.includes(s.id);
          const active = running && i === current;
          return (
            <li key={s.id} className="flex items-center gap-1" data-stage={s.id} data-state={done ? "done" : active ? "active" : "pending"}>
              {i > 0 && <span aria-hidden className={cn("mx-1 h-px w-4", done || active ? "bg-primary/60" : "bg-border")} />}
              <span
                className={cn(
                  "flex items-center gap-1.5 rounded-full border px-2.5 py-0.5 text-xs",
                  done && "border-primary/30 bg-primary/10 text-primary",
                  active && "border-primary/50 text-foreground",
                  !done && !active && "text-muted-foreground",
                )}
              >
                {done ? <Check className="size-3" /> : active ? <Loader2 className="size-3 animate-spin" /> : null}
                {s.label}
              </span>
            </li>
          );
        })}
      </ol>
      {running && state.startedAt && (
        <span className="tabular text-xs text-muted-foreground">{((now - state.startedAt) / 1000).toFixed(1)} s</span>
      )}
      {state.tables.length > 0 && (
        <span className="text-xs text-muted-foreground">
          Using {state.tables.map((t) => t.replace(/^.*\./, "")).join(", ")}
        </span>
      )}
    </div>
  );
}
