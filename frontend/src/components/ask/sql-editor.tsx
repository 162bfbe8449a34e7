"use client";
import { useMemo } from "react";
import CodeMirror, { EditorView, keymap } from "@uiw/react-codemirror";
import { sql, PostgreSQL } from "@codemirror/lang-sql";
import { Prec } from "@codemirror/state";
import { useTheme } from "next-themes";
import type { Schema } from "@/lib/schema-types";

/** SQL with highlighting and schema-aware completion; Ctrl/⌘+Enter runs it. */
export function SqlEditor({
  value,
  onChange,
  onRun,
  schema,
  readOnly,
  label = "SQL",
}: {
  value: string;
  onChange: (v: string) => void;
  onRun?: () => void;
  schema?: Schema;
  readOnly?: boolean;
  label?: string;
}) {
  const { resolvedTheme } = useTheme();
  const extensions = useMemo(() => {
    const tables: Record<string, string[]> = {};
    for (const t of schema?.tables ?? []) tables[`${t.schema}.${t.name}`] = t.columns.map((c) => c.name);
    return [
      sql({ dialect: PostgreSQL, schema: tables, upperCaseKeywords: true }),
      EditorView.lineWrapping,
      // Focusable even read-only, so the scrolling editor is reachable by keyboard.
      EditorView.contentAttributes.of({ "aria-label": label, tabindex: "0" }),
      Prec.highest(
        keymap.of([
          {
            key: "Mod-Enter",
            run: () => {
              onRun?.();
              return true;
            },
          },
        ]),
      ),
    ];
  }, [schema, onRun, label]);
  return (
    <CodeMirror
      value={value}
      onChange={onChange}
      readOnly={readOnly}
      theme={resolvedTheme === "dark" ? "dark" : "light"}
      extensions={extensions}
      basicSetup={{ lineNumbers: true, foldGutter: false, highlightActiveLine: false, autocompletion: true }}
      minHeight="60px"
      maxHeight="320px"
      className="overflow-hidden rounded-md border bg-muted/30"
      data-testid="sql-editor"
    />
  );
}
