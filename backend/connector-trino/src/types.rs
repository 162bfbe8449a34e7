//! Trino's JSON encoding of values (the client protocol), read per column type.

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use kurobe_connector::{DataType, Value};
use serde_json::Value as Json;

pub(crate) fn value(json: Json, data_type: &DataType, native: &str) -> Value {
    if json.is_null() {
        return Value::Null;
    }
    match (data_type, json) {
        (DataType::Boolean, Json::Bool(b)) => Value::Bool(b),
        (DataType::Integer { .. }, Json::Number(n)) => {
            n.as_i64().map_or_else(|| Value::Decimal(n.to_string()), Value::Int)
        }
        (DataType::Float, Json::Number(n)) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        (DataType::Float, Json::String(s)) => Value::Float(s.parse().unwrap_or(f64::NAN)),
        (DataType::Decimal { .. }, Json::String(s)) => Value::Decimal(s),
        (DataType::Date, Json::String(s)) => {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_or(Value::Text(s), Value::Date)
        }
        (DataType::Time, Json::String(s)) => {
            NaiveTime::parse_from_str(&s, "%H:%M:%S%.f").map_or(Value::Text(s), Value::Time)
        }
        (DataType::Timestamp, Json::String(s)) => {
            NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f").map_or(Value::Text(s), Value::Timestamp)
        }
        (DataType::TimestampTz, Json::String(s)) => timestamp_tz(&s).map_or(Value::Text(s), Value::TimestampTz),
        (DataType::Json, Json::String(s)) => serde_json::from_str(&s).map_or(Value::Text(s), Value::Json),
        (DataType::Uuid, Json::String(s)) => Value::Uuid(s),
        (DataType::Binary, Json::String(s)) => STANDARD.decode(&s).map_or(Value::Text(s), Value::Bytes),
        (DataType::Interval, Json::String(s)) => Value::Interval(s),
        (DataType::Array { element }, Json::Array(items)) => {
            let element_native = native.strip_prefix("array(").and_then(|r| r.strip_suffix(')')).unwrap_or("");
            Value::Array(items.into_iter().map(|item| value(item, element, element_native)).collect())
        }
        (_, Json::String(s)) => Value::Text(s),
        (_, other) => Value::Json(other),
    }
}

/// `2024-01-02 03:04:05.000 UTC`, or with an offset (`+01:00`) or a zone name.
fn timestamp_tz(text: &str) -> Option<DateTime<Utc>> {
    let (local, zone) = text.rsplit_once(' ')?;
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S%.f").ok()?;
    if zone == "UTC" || zone == "Z" {
        return Some(local.and_utc());
    }
    let offset = DateTime::parse_from_str(&format!("{local} {zone}"), "%Y-%m-%d %H:%M:%S%.f %:z").ok()?;
    Some(offset.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_the_protocols_encodings() {
        let cases: Vec<(Json, DataType, &str, Value)> = vec![
            (json!(9223372036854775807_i64), DataType::Integer { bits: 64 }, "bigint", Value::Int(i64::MAX)),
            (
                json!("12.30"),
                DataType::Decimal { precision: Some(10), scale: Some(2) },
                "decimal(10,2)",
                Value::Decimal("12.30".into()),
            ),
            (json!("NaN"), DataType::Float, "double", Value::Float(f64::NAN)),
            (json!("2024-02-29"), DataType::Date, "date", Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())),
            (
                json!("2024-01-02 03:04:05.000 UTC"),
                DataType::TimestampTz,
                "timestamp(3) with time zone",
                Value::TimestampTz(DateTime::from_timestamp(1_704_164_645, 0).unwrap()),
            ),
            (
                json!("2024-01-02 04:04:05.000 +01:00"),
                DataType::TimestampTz,
                "timestamp(3) with time zone",
                Value::TimestampTz(DateTime::from_timestamp(1_704_164_645, 0).unwrap()),
            ),
            (json!("{\"a\":1}"), DataType::Json, "json", Value::Json(json!({"a": 1}))),
            (
                json!([1, null]),
                DataType::Array { element: Box::new(DataType::Integer { bits: 32 }) },
                "array(integer)",
                Value::Array(vec![Value::Int(1), Value::Null]),
            ),
        ];
        for (json, data_type, native, expected) in cases {
            let got = value(json.clone(), &data_type, native);
            match (&got, &expected) {
                (Value::Float(a), Value::Float(b)) if a.is_nan() && b.is_nan() => {}
                _ => assert_eq!(got, expected, "{json}"),
            }
        }
    }
}
