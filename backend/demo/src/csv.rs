//! RFC 4180 CSV output, built on [`rows`].

use std::io::{self, Write};

use chrono::Datelike;

use crate::generate::{DemoValue, rows};
use crate::scale::ScaleFactor;
use crate::schema::Table;

/// Rows are encoded into a buffer that is handed to the writer in chunks of about this
/// size, so an unbuffered `File` or socket performs well without the caller wrapping it.
const CHUNK: usize = 64 * 1024;

/// Writes `table` at `scale` as CSV to `out` and returns the number of data rows written.
///
/// The format is RFC 4180: a header line of column names, then one record per row, CRLF
/// line endings (which Postgres `COPY … CSV` and DuckDB's reader both accept), text quoted
/// only when it holds a comma, quote, CR or LF, dates as `YYYY-MM-DD` and decimals with
/// exactly two digits after the point. The bytes depend only on `table` and `scale`.
/// `out` is flushed before returning.
///
/// # Errors
///
/// Returns the first error `out` reports; what was written before it stays written.
pub fn write_csv<W: Write + ?Sized>(table: Table, scale: ScaleFactor, out: &mut W) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(CHUNK + 1024);
    for (i, column) in table.def().columns.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        push_text(&mut buf, column.name);
    }
    buf.extend_from_slice(b"\r\n");

    let mut count = 0;
    for row in rows(table, scale) {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            push_value(&mut buf, value);
        }
        buf.extend_from_slice(b"\r\n");
        count += 1;
        if buf.len() >= CHUNK {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(count)
}

fn push_value(buf: &mut Vec<u8>, value: &DemoValue) {
    match value {
        DemoValue::Int(n) => push_int(buf, *n),
        DemoValue::Text(text) => push_text(buf, text),
        DemoValue::Date(date) => {
            // Generated dates lie in 2012–2024, so the year always has four digits.
            push_padded(buf, u64::from(date.year().unsigned_abs()), 4);
            buf.push(b'-');
            push_padded(buf, u64::from(date.month()), 2);
            buf.push(b'-');
            push_padded(buf, u64::from(date.day()), 2);
        }
        DemoValue::Cents(cents) => {
            if *cents < 0 {
                buf.push(b'-');
            }
            let cents = cents.unsigned_abs();
            push_padded(buf, cents / 100, 1);
            buf.push(b'.');
            push_padded(buf, cents % 100, 2);
        }
    }
}

/// Writes `text`, quoted (with quotes doubled) only when RFC 4180 requires it.
fn push_text(buf: &mut Vec<u8>, text: &str) {
    if text.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        buf.push(b'"');
        for byte in text.bytes() {
            if byte == b'"' {
                buf.push(b'"');
            }
            buf.push(byte);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(text.as_bytes());
    }
}

fn push_int(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    push_padded(buf, n.unsigned_abs(), 1);
}

/// Writes `n` in decimal with at least `width` digits, zero-padded. Hand-rolled because
/// `write!` costs a large share of the time of a row made of small integers.
fn push_padded(buf: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while n > 0 || digits.len() - start < width.max(1) {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    buf.extend_from_slice(&digits[start..]);
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn encode(value: &DemoValue) -> String {
        let mut buf = Vec::new();
        push_value(&mut buf, value);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn encodes_each_value_kind() {
        assert_eq!(encode(&DemoValue::Int(0)), "0");
        assert_eq!(encode(&DemoValue::Int(-42)), "-42");
        assert_eq!(encode(&DemoValue::Int(i64::MIN)), "-9223372036854775808");
        assert_eq!(encode(&DemoValue::Cents(5)), "0.05");
        assert_eq!(encode(&DemoValue::Cents(123_456)), "1234.56");
        assert_eq!(encode(&DemoValue::Cents(-199)), "-1.99");
        let date = NaiveDate::from_ymd_opt(2024, 2, 9).unwrap();
        assert_eq!(encode(&DemoValue::Date(date)), "2024-02-09");
        assert_eq!(encode(&DemoValue::Text("Middle East & Africa".into())), "Middle East & Africa");
        assert_eq!(encode(&DemoValue::Text("a,b".into())), "\"a,b\"");
        assert_eq!(encode(&DemoValue::Text("say \"hi\"".into())), "\"say \"\"hi\"\"\"");
        assert_eq!(encode(&DemoValue::Text("two\nlines".into())), "\"two\nlines\"");
    }

    #[test]
    fn regions_csv_is_exact() {
        let mut out = Vec::new();
        let n = write_csv(Table::Regions, ScaleFactor::ONE, &mut out).unwrap();
        assert_eq!(n, 8);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("region_id,name\r\n1,North America East\r\n"));
        assert!(text.ends_with("8,East Asia & Pacific\r\n"));
        assert_eq!(text.matches("\r\n").count(), 9);
    }

    #[test]
    fn write_errors_are_reported() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let err = write_csv(Table::Regions, ScaleFactor::ONE, &mut Broken).unwrap_err();
        assert_eq!(err.to_string(), "disk full");
    }
}
