import { describe, expect, it } from "vitest";
import { parseBlock, readEvents, withQuery } from "./client";

function streamOf(chunks: string[]) {
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}

describe("server-sent events", () => {
  it("reads events split across chunks", async () => {
    const body = streamOf(['event: context\ndata: {"event":"context","ta', 'bles":["a"]}\n\nevent: exec', 'uting\ndata: {"event":"executing"}\n\n']);
    const out = [];
    for await (const e of readEvents(body)) out.push(e);
    expect(out).toEqual([{ event: "context", tables: ["a"] }, { event: "executing" }]);
  });

  it("ignores comments and blocks without data", () => {
    expect(parseBlock(": keep-alive")).toBeNull();
    expect(parseBlock('event: x\r\ndata: {"event":"executing"}'.replace(/\r/g, ""))).toEqual({ event: "executing" });
  });
});

describe("withQuery", () => {
  it("drops empty values", () => {
    expect(withQuery("/queries", { q: "", status: "failed", before: undefined, limit: 50 })).toBe("/queries?status=failed&limit=50");
  });
});
