import { describe, expect, it } from "vitest";
import { answer, streamed } from "@/test/fixtures";
import { askReducer, initialAskState } from "./ask-state";

describe("askReducer", () => {
  it("walks the stages to a done answer", () => {
    let s = askReducer(initialAskState, { type: "start", kind: "question", question: "q", at: 1 });
    expect(s.status).toBe("running");
    s = askReducer(s, { type: "event", event: streamed[0] });
    expect(s.reached).toEqual(["context"]);
    expect(s.tables).toEqual(["retail.orders"]);
    s = askReducer(s, { type: "event", event: streamed[2] });
    expect(s.reached).toEqual(["context", "sql", "executing"]);
    for (const e of streamed.slice(3)) s = askReducer(s, { type: "event", event: e });
    expect(s.status).toBe("done");
    expect(s.answer).toBe(answer);
    expect(s.question).toBe(answer.question);
  });

  it("starts edited SQL past generation", () => {
    const s = askReducer(initialAskState, { type: "start", kind: "sql", question: null, sql: "SELECT 1", at: 1 });
    expect(s.reached).toEqual(["context", "sql"]);
    expect(s.sql).toBe("SELECT 1");
  });

  it("keeps an error event's suggestions and request id", () => {
    const s = askReducer(initialAskState, {
      type: "event",
      event: { event: "error", error: { code: "cannot_answer" as never, message: "no", request_id: "r", suggestions: ["a"] } },
    });
    expect(s.status).toBe("error");
    expect(s.error?.suggestions).toEqual(["a"]);
    expect(s.error?.requestId).toBe("r");
  });
});
