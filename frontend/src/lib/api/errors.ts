import type { ErrorDetail } from "./types";

/** The wire's error detail; codes are plain strings here (see `norm`). */
export type ErrorInput = Omit<Partial<ErrorDetail>, "code"> & { code?: string };

/** An error the API (or the network) gave, with words a person understands. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly suggestions: string[];

  constructor(status: number, detail: ErrorInput) {
    super(detail.message ?? "Something went wrong");
    this.name = "ApiError";
    this.status = status;
    this.code = String(detail.code ?? "unknown");
    this.requestId = detail.request_id ?? null;
    this.suggestions = detail.suggestions ?? [];
  }

  get title(): string {
    return humanTitle(this.code, this.status);
  }
}

// The wire codes are snake_case (`cannot_answer`); the contract's enum spells them in
// PascalCase, so both are accepted.
function norm(code: string) {
  return code.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

const TITLES: Record<string, string> = {
  cannot_answer: "Kurobe isn't sure how to answer that",
  sql_refused: "That SQL isn't allowed",
  query_failed: "The warehouse couldn't run the query",
  query_timeout: "The query took too long",
  engine_failed: "The answer engine failed",
  unknown_engine: "That engine isn't configured",
  data_source_unavailable: "The data source can't be reached",
  validation_failed: "Some fields need another look",
  invalid_credentials: "Wrong email or password",
  unauthenticated: "Please sign in",
  invalid_token: "Your session is no longer valid",
  token_expired: "Your session has expired",
  forbidden: "You don't have access to this",
  insufficient_scope: "You don't have access to this",
  not_found: "Not found",
  conflict: "That conflicts with something that exists",
  email_taken: "That email is already in use",
  rate_limited: "Too many requests — try again in a moment",
  service_unavailable: "Kurobe is temporarily unavailable",
  network: "Can't reach Kurobe",
  internal: "Something went wrong on our side",
  engines_invalid: "The engines file is invalid",
  payload_too_large: "That request is too large",
};

export function humanTitle(code: string, status?: number): string {
  const c = norm(code);
  if (TITLES[c]) return TITLES[c];
  if (status && status >= 500) return TITLES.internal;
  return "Something went wrong";
}

export function isCode(err: unknown, code: string): boolean {
  return err instanceof ApiError && norm(err.code) === norm(code);
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return `${err.title}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export async function toApiError(res: Response): Promise<ApiError> {
  let detail: ErrorInput = {};
  try {
    const body = await res.json();
    detail = body?.error ?? {};
  } catch {
    detail = { message: res.statusText || `HTTP ${res.status}` };
  }
  return new ApiError(res.status, {
    ...detail,
    code: detail.code ?? (res.status >= 500 ? "internal" : "unknown"),
    request_id: detail.request_id ?? res.headers.get("x-request-id"),
  });
}
