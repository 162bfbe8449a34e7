//! Postgres values, read in the binary protocol and mapped without loss.

use std::error::Error;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use kurobe_connector::{DataType, Value};
use tokio_postgres::types::{FromSql, Kind, Type};

type BoxError = Box<dyn Error + Sync + Send>;

pub(crate) fn data_type(ty: &Type) -> DataType {
    if let Kind::Array(element) = ty.kind() {
        return DataType::Array { element: Box::new(data_type(element)) };
    }
    match *ty {
        Type::NUMERIC => DataType::Decimal { precision: None, scale: None },
        _ => DataType::from_sql_name(ty.name()),
    }
}

/// Any Postgres value as a Kurobe [`Value`]; accepts every type, so no column can make a
/// result fail to decode.
pub(crate) struct PgValue(pub Value);

impl<'a> FromSql<'a> for PgValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let value = match *ty {
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::CHAR => Value::Int(i8::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::OID => Value::Int(u32::from_sql(ty, raw)?.into()),
            Type::FLOAT4 => Value::Float(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Float(f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric(raw)?,
            Type::DATE => Value::Date(NaiveDate::from_sql(ty, raw)?),
            Type::TIME => Value::Time(NaiveTime::from_sql(ty, raw)?),
            Type::TIMESTAMP => Value::Timestamp(NaiveDateTime::from_sql(ty, raw)?),
            Type::TIMESTAMPTZ => Value::TimestampTz(DateTime::<Utc>::from_sql(ty, raw)?),
            Type::INTERVAL => interval(raw)?,
            Type::JSON | Type::JSONB => Value::Json(serde_json::Value::from_sql(ty, raw)?),
            Type::UUID => Value::Uuid(uuid_text(raw)?),
            Type::BYTEA => Value::Bytes(raw.to_vec()),
            _ => match ty.kind() {
                Kind::Array(_) => {
                    let items = Vec::<Option<PgValue>>::from_sql(ty, raw)?;
                    Value::Array(items.into_iter().map(|item| item.map_or(Value::Null, |v| v.0)).collect())
                }
                Kind::Domain(inner) => PgValue::from_sql(inner, raw)?.0,
                // Text types, enums and citext send their text; anything else is shown as
                // bytes rather than guessed at.
                _ => match std::str::from_utf8(raw) {
                    Ok(text) => Value::Text(text.to_owned()),
                    Err(_) => Value::Bytes(raw.to_vec()),
                },
            },
        };
        Ok(PgValue(value))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(PgValue(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn read_i16(raw: &[u8], at: usize) -> Result<i16, BoxError> {
    raw.get(at..at + 2).map(|b| i16::from_be_bytes([b[0], b[1]])).ok_or_else(|| "truncated value".into())
}

/// Postgres `numeric` in binary: ndigits, weight, sign, dscale, then base-10000 digits.
/// Rendered exactly, with `dscale` digits after the point.
pub(crate) fn numeric(raw: &[u8]) -> Result<Value, BoxError> {
    let ndigits = usize::try_from(read_i16(raw, 0)?)?;
    let weight = i32::from(read_i16(raw, 2)?);
    let sign = read_i16(raw, 4)? as u16;
    let dscale = usize::try_from(read_i16(raw, 6)?)?;
    match sign {
        0xC000 => return Ok(Value::Decimal("NaN".into())),
        0xD000 => return Ok(Value::Decimal("Infinity".into())),
        0xF000 => return Ok(Value::Decimal("-Infinity".into())),
        _ => {}
    }
    let digits = (0..ndigits).map(|i| read_i16(raw, 8 + 2 * i)).collect::<Result<Vec<_>, _>>()?;
    // Integer part: groups 0..=weight; fraction: the groups after, as 4 decimal digits each.
    let mut whole = String::new();
    for group in 0..=weight.max(-1) {
        let digit = usize::try_from(group).ok().and_then(|g| digits.get(g)).copied().unwrap_or(0);
        if whole.is_empty() {
            if digit != 0 {
                whole.push_str(&digit.to_string());
            }
        } else {
            whole.push_str(&format!("{digit:04}"));
        }
    }
    if whole.is_empty() {
        whole.push('0');
    }
    let mut fraction = String::new();
    let mut group = weight + 1;
    while fraction.len() < dscale {
        let digit =
            if group < 0 { 0 } else { usize::try_from(group).ok().and_then(|g| digits.get(g)).copied().unwrap_or(0) };
        fraction.push_str(&format!("{digit:04}"));
        group += 1;
    }
    fraction.truncate(dscale);
    let negative = sign == 0x4000 && (whole != "0" || fraction.chars().any(|c| c != '0'));
    let text = match (negative, fraction.is_empty()) {
        (true, true) => format!("-{whole}"),
        (true, false) => format!("-{whole}.{fraction}"),
        (false, true) => whole,
        (false, false) => format!("{whole}.{fraction}"),
    };
    Ok(Value::Decimal(text))
}

/// Postgres `interval` in binary: microseconds, days, months; rendered as ISO 8601.
fn interval(raw: &[u8]) -> Result<Value, BoxError> {
    let bytes: [u8; 16] = raw.try_into().map_err(|_| "interval must be 16 bytes")?;
    let micros = i64::from_be_bytes(bytes[0..8].try_into()?);
    let days = i32::from_be_bytes(bytes[8..12].try_into()?);
    let months = i32::from_be_bytes(bytes[12..16].try_into()?);
    let seconds = micros as f64 / 1e6;
    Ok(Value::Interval(format!("P{months}M{days}DT{seconds}S")))
}

fn uuid_text(raw: &[u8]) -> Result<String, BoxError> {
    let bytes: [u8; 16] = raw.try_into().map_err(|_| "uuid must be 16 bytes")?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(weight: i16, sign: u16, dscale: i16, digits: &[i16]) -> Vec<u8> {
        let mut raw = Vec::new();
        raw.extend_from_slice(&(digits.len() as i16).to_be_bytes());
        raw.extend_from_slice(&weight.to_be_bytes());
        raw.extend_from_slice(&sign.to_be_bytes());
        raw.extend_from_slice(&dscale.to_be_bytes());
        for d in digits {
            raw.extend_from_slice(&d.to_be_bytes());
        }
        raw
    }

    #[test]
    fn numerics_decode_exactly() {
        let cases = [
            (encode(0, 0, 2, &[12, 3000]), "12.30"),
            (encode(1, 0, 0, &[1, 2345]), "12345"),
            (encode(-1, 0, 5, &[5]), "0.00050"),
            (encode(-2, 0, 8, &[12]), "0.00000012"),
            (encode(0, 0x4000, 3, &[3, 1415]), "-3.141"),
            (encode(0, 0, 0, &[]), "0"),
            (encode(0, 0, 2, &[]), "0.00"),
            (encode(2, 0, 0, &[1]), "100000000"),
            (encode(0, 0xC000, 0, &[]), "NaN"),
        ];
        for (raw, expected) in cases {
            assert_eq!(numeric(&raw).unwrap(), Value::Decimal(expected.into()), "{expected}");
        }
    }
}
