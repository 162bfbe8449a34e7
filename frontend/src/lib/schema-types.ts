import type { components } from "./api/schema";
export type Schema = components["schemas"]["Schema"];
