"use client";
import { useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { DataSource, DataSourceSchema, SavedQuestion } from "@/lib/api/types";

export const keys = {
  datasources: ["datasources"] as const,
  datasource: (id: string) => ["datasources", id] as const,
  schema: (id: string) => ["datasources", id, "schema"] as const,
  saved: ["saved"] as const,
  history: (filters: object) => ["queries", filters] as const,
};

export function useDataSources() {
  return useQuery({ queryKey: keys.datasources, queryFn: () => api<DataSource[]>("/datasources") });
}

export function useSchema(id: string | undefined) {
  return useQuery({
    queryKey: keys.schema(id ?? ""),
    queryFn: () => api<DataSourceSchema>(`/datasources/${id}/schema`),
    enabled: !!id,
    staleTime: 5 * 60_000,
  });
}

export function useSaved(enabled = true) {
  return useQuery({ queryKey: keys.saved, queryFn: () => api<SavedQuestion[]>("/saved"), enabled });
}
