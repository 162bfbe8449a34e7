//! DuckDB's types in Kurobe's words.

use chrono::{DateTime, NaiveDate, NaiveTime};
use duckdb::{
    core::{LogicalTypeHandle, LogicalTypeId},
    types::{TimeUnit, Value as Duck},
};
use kurobe_connector::{DataType, Value};

pub(crate) fn data_type(logical: &LogicalTypeHandle) -> DataType {
    if logical.get_alias().is_some_and(|alias| alias.eq_ignore_ascii_case("json")) {
        return DataType::Json;
    }
    match logical.id() {
        LogicalTypeId::Boolean => DataType::Boolean,
        LogicalTypeId::Tinyint | LogicalTypeId::UTinyint => DataType::Integer { bits: 8 },
        LogicalTypeId::Smallint | LogicalTypeId::USmallint => DataType::Integer { bits: 16 },
        LogicalTypeId::Integer | LogicalTypeId::UInteger => DataType::Integer { bits: 32 },
        LogicalTypeId::Bigint | LogicalTypeId::UBigint => DataType::Integer { bits: 64 },
        LogicalTypeId::Hugeint | LogicalTypeId::UHugeint => DataType::Integer { bits: 128 },
        LogicalTypeId::Float | LogicalTypeId::Double => DataType::Float,
        LogicalTypeId::Decimal => {
            DataType::Decimal { precision: Some(logical.decimal_width()), scale: Some(logical.decimal_scale()) }
        }
        LogicalTypeId::Varchar | LogicalTypeId::Enum => DataType::Text,
        LogicalTypeId::Date => DataType::Date,
        LogicalTypeId::Time | LogicalTypeId::TimeTZ => DataType::Time,
        LogicalTypeId::Timestamp
        | LogicalTypeId::TimestampS
        | LogicalTypeId::TimestampMs
        | LogicalTypeId::TimestampNs => DataType::Timestamp,
        LogicalTypeId::TimestampTZ => DataType::TimestampTz,
        LogicalTypeId::Interval => DataType::Interval,
        LogicalTypeId::Uuid => DataType::Uuid,
        LogicalTypeId::Blob => DataType::Binary,
        LogicalTypeId::List | LogicalTypeId::Array => {
            DataType::Array { element: Box::new(data_type(&logical.child(0))) }
        }
        _ => DataType::Other,
    }
}

pub(crate) fn native_name(logical: &LogicalTypeHandle) -> String {
    if let Some(alias) = logical.get_alias() {
        return alias.to_uppercase();
    }
    match logical.id() {
        LogicalTypeId::Decimal => format!("DECIMAL({},{})", logical.decimal_width(), logical.decimal_scale()),
        LogicalTypeId::List | LogicalTypeId::Array => format!("{}[]", native_name(&logical.child(0))),
        LogicalTypeId::TimestampTZ => "TIMESTAMP WITH TIME ZONE".into(),
        LogicalTypeId::TimeTZ => "TIME WITH TIME ZONE".into(),
        other => format!("{other:?}").to_uppercase(),
    }
}

fn micros(unit: TimeUnit, value: i64) -> i64 {
    match unit {
        TimeUnit::Second => value.saturating_mul(1_000_000),
        TimeUnit::Millisecond => value.saturating_mul(1_000),
        TimeUnit::Microsecond => value,
        TimeUnit::Nanosecond => value / 1_000,
    }
}

/// The exact text of a scaled decimal: 1230 with scale 2 is `12.30`.
pub(crate) fn decimal_text(value: i128, scale: u32) -> String {
    if scale == 0 {
        return value.to_string();
    }
    let digits = value.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded =
        if digits.len() <= scale { format!("{}{digits}", "0".repeat(scale + 1 - digits.len())) } else { digits };
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{}{whole}.{fraction}", if value < 0 { "-" } else { "" })
}

pub(crate) fn value(value: Duck, data_type: &DataType) -> Value {
    match value {
        Duck::Null => Value::Null,
        Duck::Boolean(b) => Value::Bool(b),
        Duck::TinyInt(i) => Value::Int(i.into()),
        Duck::SmallInt(i) => Value::Int(i.into()),
        Duck::Int(i) => Value::Int(i.into()),
        Duck::BigInt(i) => Value::Int(i),
        Duck::UTinyInt(i) => Value::Int(i.into()),
        Duck::USmallInt(i) => Value::Int(i.into()),
        Duck::UInt(i) => Value::Int(i.into()),
        Duck::UBigInt(i) => i64::try_from(i).map_or(Value::BigInt(i.into()), Value::Int),
        Duck::HugeInt(i) => Value::BigInt(i),
        Duck::UHugeInt(i) => i128::try_from(i).map_or_else(|_| Value::Decimal(i.to_string()), Value::BigInt),
        Duck::Float(f) => Value::Float(f.into()),
        Duck::Double(f) => Value::Float(f),
        Duck::Decimal(d) => Value::Decimal(decimal_text(d.value(), d.scale().into())),
        Duck::Timestamp(unit, v) => {
            let micros = micros(unit, v);
            match DateTime::from_timestamp_micros(micros) {
                Some(at) if *data_type == DataType::TimestampTz => Value::TimestampTz(at),
                Some(at) => Value::Timestamp(at.naive_utc()),
                None => Value::Text(micros.to_string()),
            }
        }
        Duck::Text(s) if *data_type == DataType::Json => serde_json::from_str(&s).map_or(Value::Text(s), Value::Json),
        Duck::Text(s) if *data_type == DataType::Uuid => Value::Uuid(s),
        Duck::Text(s) | Duck::Enum(s) => Value::Text(s),
        Duck::Blob(b) | Duck::Geometry(b) => Value::Bytes(b),
        Duck::Date32(days) => {
            NaiveDate::from_num_days_from_ce_opt(days + 719_163).map_or(Value::Int(days.into()), Value::Date)
        }
        Duck::Time64(unit, v) => {
            let micros = micros(unit, v);
            let seconds = u32::try_from(micros.div_euclid(1_000_000)).unwrap_or(0);
            let nanos = u32::try_from(micros.rem_euclid(1_000_000) * 1_000).unwrap_or(0);
            NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos).map_or(Value::Int(micros), Value::Time)
        }
        Duck::Interval { months, days, nanos } => Value::Interval(format!(
            "P{months}M{days}DT{}S",
            decimal_text(i128::from(nanos) / 1_000, 6).trim_end_matches('0').trim_end_matches('.')
        )),
        Duck::List(items) | Duck::Array(items) => {
            let element = match data_type {
                DataType::Array { element } => element.as_ref().clone(),
                _ => DataType::Other,
            };
            Value::Array(items.into_iter().map(|item| self::value(item, &element)).collect())
        }
        other => Value::Text(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::decimal_text;

    #[test]
    fn decimals_keep_every_digit() {
        assert_eq!(decimal_text(1230, 2), "12.30");
        assert_eq!(decimal_text(-5, 3), "-0.005");
        assert_eq!(decimal_text(0, 2), "0.00");
        assert_eq!(
            decimal_text(123_456_789_012_345_678_901_234_567_890_123_456_789, 10),
            "12345678901234567890123456789.0123456789"
        );
        assert_eq!(decimal_text(42, 0), "42");
    }
}
