// Names for the generated OpenAPI types (src/lib/api/schema.d.ts, made from ../openapi.json
// by `npm run gen:api`). Nothing here is written by hand: only aliases.
import type { components } from "./schema";

type S = components["schemas"];

export type QueryResponse = S["QueryResponse"];
export type QueryRecord = S["QueryRecord"];
export type QueryPage = S["QueryPage"];
export type Column = S["Column"];
export type DataType = S["DataType"];
export type ChartSpec = S["ChartSpec"];
export type ChartKind = S["ChartKind"];
export type ValueFormat = S["ValueFormat"];
export type StreamEvent = S["StreamEvent"];
export type ErrorDetail = S["ErrorDetail"];
export type ErrorBody = S["ErrorBody"];
export type DataSource = S["DataSource"];
export type DataSourceConfig = S["DataSourceConfig"];
export type DataSourceSchema = S["DataSourceSchema"];
export type CreateDataSourceRequest = S["CreateDataSourceRequest"];
export type UpdateDataSourceRequest = S["UpdateDataSourceRequest"];
export type ConnectionTest = S["ConnectionTest"];
export type Table = S["Table"];
export type ColumnInfo = S["ColumnInfo"];
export type SavedQuestion = S["SavedQuestion"];
export type SaveQuestionRequest = S["SaveQuestionRequest"];
export type MeResponse = S["MeResponse"];
export type Role = S["Role"];
export type Permission = S["Permission"];
export type TokenResponse = S["TokenResponse"];
export type ApiKey = S["ApiKey"];
export type CreatedApiKey = S["CreatedApiKey"];
export type CreateApiKeyRequest = S["CreateApiKeyRequest"];
export type Member = S["Member"];
export type AddMemberRequest = S["AddMemberRequest"];
export type AuditEntry = S["AuditEntry"];
export type AuditPage = S["AuditPage"];
export type AuditOutcome = S["AuditOutcome"];
export type EnginesStatus = S["EnginesStatus"];
export type ReloadResult = S["ReloadResult"];
export type RowPolicies = S["RowPolicies"];
export type Rating = S["Rating"];
export type Timings = S["Timings"];
export type Generation = S["Generation"];

export type StreamEventName = StreamEvent["event"];

export const ROLES: readonly Role[] = ["viewer", "analyst", "admin", "owner"];
export const PERMISSIONS: readonly Permission[] = [
  "datasources:read",
  "datasources:manage",
  "queries:read",
  "queries:run",
  "api_keys:manage",
  "members:manage",
  "audit:read",
  "engines:manage",
  "organisation:manage",
];
