use crate::DataType;

impl DataType {
    /// Reads a type as the catalogs of Postgres, DuckDB and Trino name it: `integer`,
    /// `numeric(10,2)`, `character varying(20)`, `TIMESTAMP WITH TIME ZONE`, `varchar[]`,
    /// `array(bigint)`, `timestamp(3) with time zone`.
    pub fn from_sql_name(name: &str) -> DataType {
        let lower = name.trim().to_ascii_lowercase();
        if let Some(element) = lower.strip_suffix("[]") {
            return DataType::Array { element: Box::new(DataType::from_sql_name(element)) };
        }
        if let Some(element) = lower.strip_prefix("array(").and_then(|rest| rest.strip_suffix(')')) {
            return DataType::Array { element: Box::new(DataType::from_sql_name(element)) };
        }
        // Postgres names array types with a leading underscore in some catalog views.
        if let Some(element) = lower.strip_prefix('_') {
            return DataType::Array { element: Box::new(DataType::from_sql_name(element)) };
        }
        let (base, args) = match lower.split_once('(') {
            Some((base, rest)) => {
                let (args, tail) = rest.split_once(')').unwrap_or((rest, ""));
                (format!("{}{}", base.trim(), tail), args.to_owned())
            }
            None => (lower.clone(), String::new()),
        };
        let base = base.trim();
        match base {
            "boolean" | "bool" => DataType::Boolean,
            "tinyint" | "int1" | "utinyint" => DataType::Integer { bits: 8 },
            "smallint" | "int2" | "usmallint" | "smallserial" => DataType::Integer { bits: 16 },
            "integer" | "int" | "int4" | "uinteger" | "serial" => DataType::Integer { bits: 32 },
            "bigint" | "int8" | "ubigint" | "bigserial" => DataType::Integer { bits: 64 },
            "hugeint" | "uhugeint" | "int128" => DataType::Integer { bits: 128 },
            "real" | "float" | "float4" | "float8" | "double" | "double precision" => DataType::Float,
            "decimal" | "numeric" => {
                let mut parts = args.split(',').map(|p| p.trim().parse::<u8>().ok());
                DataType::Decimal { precision: parts.next().flatten(), scale: parts.next().flatten() }
            }
            "text" | "varchar" | "character varying" | "char" | "character" | "bpchar" | "string" | "name"
            | "citext" | "enum" => DataType::Text,
            "date" => DataType::Date,
            "time" | "time without time zone" | "time with time zone" | "timetz" => DataType::Time,
            "timestamp"
            | "timestamp without time zone"
            | "datetime"
            | "timestamp_s"
            | "timestamp_ms"
            | "timestamp_ns" => DataType::Timestamp,
            "timestamp with time zone" | "timestamptz" => DataType::TimestampTz,
            "interval" | "interval day to second" | "interval year to month" => DataType::Interval,
            "json" | "jsonb" => DataType::Json,
            "uuid" => DataType::Uuid,
            "bytea" | "blob" | "varbinary" | "binary" => DataType::Binary,
            _ => DataType::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_dialects_names() {
        let cases = [
            ("integer", DataType::Integer { bits: 32 }),
            ("BIGINT", DataType::Integer { bits: 64 }),
            ("numeric(10,2)", DataType::Decimal { precision: Some(10), scale: Some(2) }),
            ("DECIMAL(18,3)", DataType::Decimal { precision: Some(18), scale: Some(3) }),
            ("numeric", DataType::Decimal { precision: None, scale: None }),
            ("character varying(20)", DataType::Text),
            ("varchar(20)", DataType::Text),
            ("TIMESTAMP WITH TIME ZONE", DataType::TimestampTz),
            ("timestamp(3) with time zone", DataType::TimestampTz),
            ("timestamp(6)", DataType::Timestamp),
            ("VARCHAR[]", DataType::Array { element: Box::new(DataType::Text) }),
            ("array(bigint)", DataType::Array { element: Box::new(DataType::Integer { bits: 64 }) }),
            ("_int4", DataType::Array { element: Box::new(DataType::Integer { bits: 32 }) }),
            ("jsonb", DataType::Json),
            ("geometry", DataType::Other),
        ];
        for (name, expected) in cases {
            assert_eq!(DataType::from_sql_name(name), expected, "{name}");
        }
    }
}
