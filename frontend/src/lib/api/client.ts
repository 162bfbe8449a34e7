// The browser's client: every call goes to the same-origin proxy (/api/v1/...), which adds
// the session from its httpOnly cookie and forwards to the Kurobe API.
import { ApiError, toApiError } from "./errors";
import type { StreamEvent } from "./types";

export const API_BASE = "/api/v1";

type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

function onUnauthenticated() {
  if (typeof window === "undefined") return;
  if (window.location.pathname.startsWith("/login")) return;
  const next = window.location.pathname + window.location.search;
  window.location.assign(`/login?next=${encodeURIComponent(next)}&expired=1`);
}

export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      ...init,
      headers: { accept: "application/json", ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
      credentials: "same-origin",
    });
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
    throw new ApiError(0, { code: "network", message: "the request did not reach the server; check your connection" });
  }
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 401) onUnauthenticated();
    throw err;
  }
  return res;
}

export async function api<T>(path: string, init: RequestInit & { json?: unknown; query?: Query } = {}): Promise<T> {
  const { json, query, ...rest } = init;
  const res = await apiFetch(withQuery(path, query), {
    ...rest,
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Parses a `text/event-stream` body into StreamEvents as they arrive. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      buffer = buffer.replace(/\r\n/g, "\n");
      let idx: number;
      while ((idx = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        const ev = parseBlock(block);
        if (ev) yield ev;
      }
    }
    const tail = parseBlock(buffer);
    if (tail) yield tail;
  } finally {
    reader.releaseLock();
  }
}

export function parseBlock(block: string): StreamEvent | null {
  const data = block
    .split("\n")
    .filter((l) => l.startsWith("data:"))
    .map((l) => l.slice(5).replace(/^ /, ""))
    .join("\n");
  if (!data) return null;
  try {
    return JSON.parse(data) as StreamEvent;
  } catch {
    return null;
  }
}

/** POSTs and reads the answer as a stream of stage events. */
export async function* streamPost(path: string, json: unknown, signal?: AbortSignal): AsyncGenerator<StreamEvent> {
  const res = await apiFetch(path, {
    method: "POST",
    body: json === undefined ? undefined : JSON.stringify(json),
    headers: { accept: "text/event-stream", "content-type": "application/json" },
    signal,
  });
  if (!res.body) throw new ApiError(0, { code: "network", message: "the answer had no body" });
  yield* readEvents(res.body);
}
