"use client";
import { forwardRef, useState } from "react";
import { ArrowUp, Loader2, Square } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import type { DataSource } from "@/lib/api/types";
import { cn } from "@/lib/utils";

export interface AskBoxProps {
  sources: DataSource[];
  datasourceId?: string;
  onDatasource: (id: string) => void;
  onAsk: (question: string) => void;
  onCancel?: () => void;
  running: boolean;
  disabled?: boolean;
  value: string;
  onChange: (v: string) => void;
}

/** The question box: Enter asks, Shift+Enter adds a line. */
export const AskBox = forwardRef<HTMLTextAreaElement, AskBoxProps>(function AskBox(
  { sources, datasourceId, onDatasource, onAsk, onCancel, running, disabled, value, onChange },
  ref,
) {
  const [composing, setComposing] = useState(false);
  const submit = () => {
    const q = value.trim();
    if (q && !running && !disabled && datasourceId) onAsk(q);
  };
  return (
    <form
      className={cn(
        "rounded-xl border bg-card shadow-sm transition-shadow focus-within:ring-2 focus-within:ring-ring/60",
        disabled && "opacity-60",
      )}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      aria-label="Ask a question"
    >
      <label htmlFor="ask-input" className="sr-only">
        Your question
      </label>
      <textarea
        id="ask-input"
        ref={ref}
        rows={2}
        value={value}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
        onCompositionStart={() => setComposing(true)}
        onCompositionEnd={() => setComposing(false)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !composing) {
            e.preventDefault();
            submit();
          }
          if (e.key === "Escape" && running) onCancel?.();
        }}
        placeholder="Ask a question about your data, e.g. How many orders are there by status?"
        className="block w-full resize-none bg-transparent px-4 pt-3 text-base outline-none placeholder:text-muted-foreground disabled:cursor-not-allowed"
      />
      <div className="flex items-center justify-between gap-2 px-2 pb-2">
        <div className="flex min-w-0 items-center gap-2">
          <Select value={datasourceId ?? ""} onValueChange={onDatasource} disabled={sources.length === 0}>
            <SelectTrigger className="h-8 w-auto max-w-72 border-transparent bg-muted/60 text-xs shadow-none" aria-label="Data source">
              <SelectValue placeholder="No data source" />
            </SelectTrigger>
            <SelectContent>
              {sources.map((s) => (
                <SelectItem key={s.id} value={s.id}>
                  {s.name}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          <span className="hidden text-xs text-muted-foreground md:inline">
            <kbd className="rounded border bg-muted px-1 font-mono">Enter</kbd> to ask ·{" "}
            <kbd className="rounded border bg-muted px-1 font-mono">/</kbd> to focus
          </span>
        </div>
        {running ? (
          <Button type="button" size="sm" variant="secondary" onClick={onCancel} aria-label="Stop">
            <Square className="fill-current" /> Stop
          </Button>
        ) : (
          <Button type="submit" size="sm" disabled={!value.trim() || disabled || !datasourceId} aria-label="Ask">
            {running ? <Loader2 className="animate-spin" /> : <ArrowUp />} Ask
          </Button>
        )}
      </div>
    </form>
  );
});
