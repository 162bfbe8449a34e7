use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer, ser::SerializeSeq};

/// One value of a result, mapped faithfully from the engine's type.
///
/// In JSON, numbers that a double cannot hold exactly travel as strings: decimals always
/// (`"12.30"`, scale kept), 128-bit integers always. 64-bit integers are JSON numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// HUGEINT, UBIGINT above `i64::MAX`, and other integers wider than 64 bits.
    BigInt(i128),
    Float(f64),
    /// An exact decimal in its canonical text form, with its scale's trailing zeros.
    Decimal(String),
    Text(String),
    Date(NaiveDate),
    Time(NaiveTime),
    Timestamp(NaiveDateTime),
    TimestampTz(DateTime<Utc>),
    /// An interval in the engine's own notation.
    Interval(String),
    Json(serde_json::Value),
    Uuid(String),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
}

impl Value {
    /// An estimate of the value's size in memory, for the result byte cap.
    pub fn approx_size(&self) -> usize {
        const BASE: usize = size_of::<Value>();
        BASE + match self {
            Value::Decimal(s) | Value::Text(s) | Value::Interval(s) | Value::Uuid(s) => s.len(),
            Value::Bytes(b) => b.len(),
            Value::Json(j) => j.to_string().len(),
            Value::Array(items) => items.iter().map(Value::approx_size).sum(),
            _ => 0,
        }
    }

    /// The value as text, the way a CSV export writes it (NULL is the empty string).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::BigInt(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Decimal(s) | Value::Text(s) | Value::Interval(s) | Value::Uuid(s) => s.clone(),
            Value::Date(d) => d.to_string(),
            Value::Time(t) => t.to_string(),
            Value::Timestamp(t) => t.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            Value::TimestampTz(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            Value::Json(j) => j.to_string(),
            Value::Bytes(b) => STANDARD.encode(b),
            Value::Array(items) => serde_json::to_string(items).unwrap_or_default(),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_none(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            // JSON has no NaN or infinity; their names keep the information.
            Value::Float(f) if !f.is_finite() => serializer.serialize_str(&f.to_string()),
            Value::Float(f) => serializer.serialize_f64(*f),
            Value::Json(j) => j.serialize(serializer),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            other => serializer.serialize_str(&other.to_text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_keeps_exact_numbers_exact() {
        let values = vec![
            Value::Int(i64::MAX),
            Value::BigInt(i128::MAX),
            Value::Decimal("12.30".into()),
            Value::Float(f64::NAN),
            Value::Null,
            Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
            Value::TimestampTz(DateTime::from_timestamp(0, 0).unwrap()),
            Value::Array(vec![Value::Int(1), Value::Null]),
            Value::Json(json!({"a": [1]})),
            Value::Bytes(vec![0, 255]),
        ];
        assert_eq!(
            serde_json::to_value(values).unwrap(),
            json!([
                i64::MAX,
                "170141183460469231731687303715884105727",
                "12.30",
                "NaN",
                null,
                "2024-02-29",
                "1970-01-01T00:00:00Z",
                [1, null],
                {"a": [1]},
                "AP8="
            ])
        );
    }
}
