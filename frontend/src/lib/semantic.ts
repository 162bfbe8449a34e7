// The semantic model's shape as the YAML files write it (config/semantic/*.yaml); the API
// does not describe it yet, so these few fields are read defensively.
export interface SemanticDimension {
  name: string;
  column?: string;
  kind?: string;
  synonyms?: string[];
  description?: string;
}
export interface SemanticMeasure {
  name: string;
  aggregation?: string;
  column?: string;
  description?: string;
  synonyms?: string[];
}
export interface SemanticEntity {
  name: string;
  table?: string;
  description?: string;
  synonyms?: string[];
  dimensions?: SemanticDimension[];
  measures?: SemanticMeasure[];
  joins?: { to: string }[];
}
export interface SemanticModel {
  description?: string;
  entities?: SemanticEntity[];
}
export interface SemanticAnswer {
  source: "file" | "drafted";
  file: string;
  model: SemanticModel | null;
}

/** "Retail demo (DuckDB)" → "retail-demo-duckdb", as the server names model files. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "");
}
