import { format } from "sql-formatter";

/** SQL laid out for reading; left as it is when the formatter does not know its syntax. */
export function prettySql(sql: string | null | undefined): string {
  if (!sql) return "";
  try {
    return format(sql, { language: "postgresql", keywordCase: "upper", tabWidth: 2 });
  } catch {
    return sql;
  }
}
