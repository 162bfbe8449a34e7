"use client";
import { createContext, useContext } from "react";
import { useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { MeResponse, Permission } from "@/lib/api/types";

const MeContext = createContext<MeResponse | null>(null);

export function MeProvider({ initial, children }: { initial: MeResponse; children: React.ReactNode }) {
  const { data } = useQuery({
    queryKey: ["me"],
    queryFn: () => api<MeResponse>("/auth/me"),
    initialData: initial,
    staleTime: 60_000,
  });
  return <MeContext.Provider value={data ?? initial}>{children}</MeContext.Provider>;
}

export function useMe(): MeResponse {
  const me = useContext(MeContext);
  if (!me) throw new Error("useMe outside MeProvider");
  return me;
}

export function useCan(p: Permission): boolean {
  return useMe().permissions.includes(p);
}
