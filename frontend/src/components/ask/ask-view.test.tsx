import { useState } from "react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { describe, expect, it, vi } from "vitest";
import { TooltipProvider } from "@/components/ui/tooltip";
import { ApiError } from "@/lib/api/errors";
import { askReducer, initialAskState, type AskState } from "@/lib/ask-state";
import { prettySql } from "@/lib/sql";
import { answer, source, streamed } from "@/test/fixtures";
import { AskView, type AskViewProps } from "./ask-view";

// CodeMirror needs layout jsdom lacks; a textarea stands in for the editor.
vi.mock("./sql-editor", () => ({
  SqlEditor: ({ value, onChange, readOnly }: { value: string; onChange: (v: string) => void; readOnly?: boolean }) => (
    <textarea aria-label="SQL" value={value} readOnly={readOnly} onChange={(e) => onChange(e.target.value)} />
  ),
}));

function stateAfter(events: typeof streamed, start: Partial<Parameters<typeof askReducer>[1]> = {}): AskState {
  let s = askReducer(initialAskState, { type: "start", kind: "question", question: "How many orders are there by status?", at: Date.now(), ...start } as never);
  for (const event of events) s = askReducer(s, { type: "event", event });
  return s;
}

function setup(over: Partial<AskViewProps> = {}) {
  const props: AskViewProps = {
    state: initialAskState,
    sources: [source],
    sourcesLoading: false,
    datasourceId: source.id,
    onDatasource: vi.fn(),
    examples: ["How many orders are there by status?", "Average list price of products by category"],
    examplesLoading: false,
    canRun: true,
    canManageSources: true,
    question: "",
    onQuestion: vi.fn(),
    onAsk: vi.fn(),
    onRunSql: vi.fn(),
    onRerun: vi.fn(),
    onCancel: vi.fn(),
    ...over,
  };
  function Harness() {
    const [q, setQ] = useState(props.question);
    return (
      <AskView
        {...props}
        question={q}
        onQuestion={(v) => {
          setQ(v);
          props.onQuestion(v);
        }}
      />
    );
  }
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <TooltipProvider>
        <Harness />
      </TooltipProvider>
    </QueryClientProvider>,
  );
  return props;
}

describe("the ask page", () => {
  it("offers example questions when idle, and asking one sends it", async () => {
    const p = setup();
    const examples = screen.getByTestId("examples");
    await userEvent.click(within(examples).getByRole("button", { name: "Average list price of products by category" }));
    expect(p.onAsk).toHaveBeenCalledWith("Average list price of products by category");
  });

  it("asks on Enter and adds a line on Shift+Enter", async () => {
    const p = setup();
    const box = screen.getByLabelText("Your question");
    await userEvent.type(box, "orders by status{Shift>}{Enter}{/Shift}");
    expect(p.onAsk).not.toHaveBeenCalled();
    await userEvent.type(box, "{Enter}");
    expect(p.onAsk).toHaveBeenCalledWith("orders by status");
  });

  it("shows the stages live while an answer streams", () => {
    setup({ state: stateAfter(streamed.slice(0, 2)) });
    const progress = screen.getByRole("status", { name: "Progress" });
    expect(within(progress).getByText("Finding tables").closest("li")).toHaveAttribute("data-state", "done");
    expect(within(progress).getByText("Writing SQL").closest("li")).toHaveAttribute("data-state", "done");
    expect(within(progress).getByText("Running").closest("li")).toHaveAttribute("data-state", "active");
    expect(within(progress).getByText("Choosing a chart").closest("li")).toHaveAttribute("data-state", "pending");
    expect(screen.getByRole("button", { name: "Stop" })).toBeInTheDocument();
    // The SQL is shown as soon as it is written, before the rows arrive.
    expect(screen.getByLabelText("SQL")).toHaveValue(prettySql(answer.sql));
    expect((screen.getByLabelText("SQL") as HTMLTextAreaElement).value).toContain("GROUP BY\n  orders.status");
  });

  it("shows the answer: interpretation, badges, chart switcher, table, SQL and actions", async () => {
    const p = setup({ state: stateAfter(streamed) });
    expect(screen.getByTestId("interpretation")).toHaveTextContent("counting orders, grouped by status");
    expect(screen.getByTestId("cache-badge")).toHaveTextContent("Cached");
    expect(screen.getByTestId("timings")).toHaveTextContent("95 ms total");
    const table = screen.getByTestId("result-table");
    expect(within(table).getAllByRole("row")).toHaveLength(4);
    expect(within(table).getByText("71,944")).toBeInTheDocument();
    expect(screen.getByRole("radio", { name: "Bar" })).toHaveAttribute("aria-checked", "true");
    expect(screen.getByRole("radio", { name: "Pie" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /CSV/ })).toHaveAttribute("href", "/api/v1/queries/q-1/result.csv");
    expect(screen.getByRole("button", { name: "Good answer" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save" })).toBeInTheDocument();

    // Numbers sort largest first on the first click, smallest first on the second.
    await userEvent.click(within(table).getByRole("button", { name: /count/ }));
    expect(within(table).getAllByRole("row")[1]).toHaveTextContent("completed");
    await userEvent.click(within(table).getByRole("button", { name: /count/ }));
    expect(within(table).getAllByRole("row")[1]).toHaveTextContent("returned");

    // Editing the SQL offers to run the edit.
    const sql = screen.getByLabelText("SQL");
    await userEvent.clear(sql);
    await userEvent.type(sql, "SELECT 1");
    await userEvent.click(screen.getByRole("button", { name: /Run edited SQL/ }));
    expect(p.onRunSql).toHaveBeenCalledWith("SELECT 1");
  });

  it("turns a refusal's suggestions into questions one click away", async () => {
    const refused = askReducer(stateAfter(streamed.slice(0, 1)), {
      type: "event",
      event: {
        event: "error",
        error: {
          code: "cannot_answer" as never,
          message: 'cannot answer confidently: does not know the word "weather"',
          request_id: "req-42",
          suggestions: ["How many stores are there?", "How many regions are there?"],
        },
      },
    });
    const p = setup({ state: refused });
    expect(screen.getByRole("alert")).toHaveTextContent("Kurobe isn't sure how to answer that");
    expect(screen.getByRole("alert")).toHaveTextContent("req-42");
    await userEvent.click(screen.getByRole("button", { name: "How many stores are there?" }));
    expect(p.onAsk).toHaveBeenCalledWith("How many stores are there?");
  });

  it("explains other errors in words, with the request id", () => {
    const failed = askReducer(stateAfter([]), {
      type: "fail",
      error: new ApiError(422, { code: "sql_refused", message: "only SELECT statements are allowed", request_id: "req-7" }),
    });
    setup({ state: failed });
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("That SQL isn't allowed");
    expect(alert).toHaveTextContent("Only SELECT statements are allowed.");
    expect(alert).toHaveTextContent("Request id req-7");
  });

  it("lets a viewer read but not ask", () => {
    setup({ canRun: false });
    expect(screen.getByLabelText("Your question")).toBeDisabled();
    expect(screen.getByText(/can read answers and history but not run questions/)).toBeInTheDocument();
  });
});
