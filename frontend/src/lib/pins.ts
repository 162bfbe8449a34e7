"use client";
import { useMe } from "./me";
import { useLocalState } from "./hooks/use-local-state";

/**
 * The dashboard's pinned saved questions, kept in this browser per organisation and user
 * (the API has no dashboard resource yet).
 */
export function usePins() {
  const me = useMe();
  const [pins, setPins] = useLocalState<string[]>(`kurobe:pins:${me.organisation.id}:${me.user.id}`, []);
  return {
    pins,
    isPinned: (id: string) => pins.includes(id),
    toggle: (id: string) => setPins(pins.includes(id) ? pins.filter((p) => p !== id) : [...pins, id]),
    remove: (id: string) => setPins(pins.filter((p) => p !== id)),
    move: (id: string, by: -1 | 1) => {
      const i = pins.indexOf(id);
      const j = i + by;
      if (i < 0 || j < 0 || j >= pins.length) return;
      const next = [...pins];
      [next[i], next[j]] = [next[j], next[i]];
      setPins(next);
    },
  };
}
