"use client";
import { useMe } from "@/lib/me";
import { useDataSources } from "./queries";
import { useLocalState } from "./use-local-state";

/** The data source the analyst works on, remembered per organisation. */
export function useCurrentDataSource() {
  const me = useMe();
  const sources = useDataSources();
  const [chosen, setChosen] = useLocalState<string | null>(`kurobe:ds:${me.organisation.id}`, null);
  const list = sources.data ?? [];
  const current = list.find((d) => d.id === chosen) ?? list[0];
  return { sources, current, setCurrent: setChosen };
}
