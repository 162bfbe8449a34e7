//! Syntax-tree pieces for the compiler. Every name becomes an `Ident` and every value a
//! `Value` or typed literal, so quoting and escaping are sqlparser's, never ours; the
//! assembled statement is parsed back and rendered before anyone sees it.

use chrono::NaiveDate;
use kurobe_connector::Dialect;
use sqlparser::{
    ast::{
        BinaryOperator, CastKind, DataType, DuplicateTreatment, ExactNumberInfo, Expr, Function, FunctionArg,
        FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, ObjectName, Statement, TypedString, Value,
    },
    dialect::{Dialect as SqlDialect, DuckDbDialect, GenericDialect, PostgreSqlDialect},
    parser::Parser,
};

use super::CompileError;

/// Words reserved in Postgres, DuckDB or Trino, or read specially by the parser where a
/// name could stand (`date '…'`, `interval …`). Quoting every keyword sqlparser knows would
/// also be correct, but it knows `name`, `status` and `count`, and SQL people read would
/// be full of quotes. Missing a word here cannot make SQL unsafe: the statement is parsed
/// back before it leaves, and an unquoted reserved word fails that.
const RESERVED: &[&str] = &[
    "all",
    "alter",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asof",
    "authorization",
    "between",
    "binary",
    "both",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "cube",
    "current_catalog",
    "current_date",
    "current_path",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "date",
    "day",
    "deallocate",
    "default",
    "deferrable",
    "delete",
    "desc",
    "describe",
    "distinct",
    "do",
    "drop",
    "else",
    "end",
    "escape",
    "except",
    "execute",
    "exists",
    "extract",
    "false",
    "fetch",
    "filter",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "grouping",
    "having",
    "hour",
    "ilike",
    "in",
    "initially",
    "inner",
    "insert",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "minute",
    "month",
    "natural",
    "normalize",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "over",
    "overlaps",
    "partition",
    "pivot",
    "placing",
    "prepare",
    "primary",
    "qualify",
    "range",
    "recursive",
    "references",
    "returning",
    "right",
    "rollup",
    "rows",
    "second",
    "select",
    "session_user",
    "similar",
    "skip",
    "some",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "trim",
    "true",
    "uescape",
    "union",
    "unique",
    "unnest",
    "unpivot",
    "user",
    "using",
    "values",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "year",
];

/// The name as an identifier, quoted unless it is a plain lower-case word that no engine
/// reserves.
pub(super) fn ident(name: &str) -> Ident {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&name);
    if plain { Ident::new(name) } else { Ident::with_quote('"', name) }
}

/// `schema.table`, each part an identifier (Trino's `catalog.schema` splits in two).
pub(super) fn table_name(table: &str) -> ObjectName {
    ObjectName::from(table.split('.').map(ident).collect::<Vec<_>>())
}

pub(super) fn column(entity: &str, column: &str) -> Expr {
    Expr::CompoundIdentifier(vec![ident(entity), ident(column)])
}

pub(super) fn text(value: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(value.to_owned()))
}

/// A number literal from text that is a plain decimal number, or `None`.
pub(super) fn number(value: &str) -> Option<Expr> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let plain = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    (plain(whole) && plain(fraction)).then(|| Expr::value(Value::Number(value.to_owned(), false)))
}

pub(super) fn date(value: NaiveDate) -> Expr {
    Expr::TypedString(TypedString {
        data_type: DataType::Date,
        value: Value::SingleQuotedString(value.format("%Y-%m-%d").to_string()).into(),
        uses_odbc_syntax: false,
    })
}

pub(super) fn boolean(value: bool) -> Expr {
    Expr::value(Value::Boolean(value))
}

pub(super) fn binary(left: Expr, op: BinaryOperator, right: Expr) -> Expr {
    Expr::BinaryOp { left: Box::new(left), op, right: Box::new(right) }
}

/// All of `conditions` (AND), or `None` for none.
pub(super) fn all(conditions: Vec<Expr>) -> Option<Expr> {
    conditions.into_iter().reduce(|left, right| binary(left, BinaryOperator::And, right))
}

pub(super) fn function(name: &str, args: Vec<Expr>) -> Function {
    let args = args.into_iter().map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a))).collect();
    Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList { duplicate_treatment: None, args, clauses: Vec::new() }),
        within_group: Vec::new(),
        filter: None,
        null_treatment: None,
        over: None,
    }
}

pub(super) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(function(name, args))
}

/// `COUNT(*)`.
pub(super) fn count_rows() -> Function {
    let mut count = function("count", Vec::new());
    count.args = FunctionArguments::List(FunctionArgumentList {
        duplicate_treatment: None,
        args: vec![FunctionArg::Unnamed(FunctionArgExpr::Wildcard)],
        clauses: Vec::new(),
    });
    count
}

/// `name(DISTINCT arg)`.
pub(super) fn distinct(name: &str, arg: Expr) -> Function {
    let mut f = function(name, vec![arg]);
    if let FunctionArguments::List(list) = &mut f.args {
        list.duplicate_treatment = Some(DuplicateTreatment::Distinct);
    }
    f
}

pub(super) fn cast(expr: Expr, data_type: DataType) -> Expr {
    Expr::Cast { kind: CastKind::Cast, expr: Box::new(expr), data_type, format: None }
}

/// The dialect's name for a double-precision float: Postgres has no bare `DOUBLE`.
pub(super) fn double(dialect: Dialect) -> DataType {
    match dialect {
        Dialect::Postgres => DataType::DoublePrecision,
        Dialect::DuckDb | Dialect::Trino => DataType::Double(ExactNumberInfo::None),
    }
}

pub(super) fn nested(expr: Expr) -> Expr {
    Expr::Nested(Box::new(expr))
}

/// The parser the guard uses for `dialect`.
fn parser_dialect(dialect: Dialect) -> Box<dyn SqlDialect> {
    match dialect {
        Dialect::Postgres => Box::new(PostgreSqlDialect {}),
        Dialect::DuckDb => Box::new(DuckDbDialect {}),
        // sqlparser has no Trino dialect; the generic one reads Trino's ANSI-style SQL.
        Dialect::Trino => Box::new(GenericDialect {}),
    }
}

/// Parses the assembled statement in the dialect and renders it from the tree: the
/// result is one query, as the parser (and so the guard) understands it.
pub(super) fn render(text: &str, dialect: Dialect) -> Result<String, CompileError> {
    let broken = |reason: String| CompileError::Internal(format!("{reason} in {text}"));
    let mut statements =
        Parser::parse_sql(parser_dialect(dialect).as_ref(), text).map_err(|e| broken(e.to_string()))?;
    match (statements.pop(), statements.is_empty()) {
        (Some(Statement::Query(query)), true) => Ok(query.to_string()),
        _ => Err(broken("not a single query".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_when_plain_words_would_not_do() {
        assert_eq!(ident("orders").to_string(), "orders");
        assert_eq!(ident("OrderDate").to_string(), "\"OrderDate\"");
        assert_eq!(ident("select").to_string(), "\"select\"");
        assert_eq!(ident("date").to_string(), "\"date\"");
        assert_eq!(ident("status").to_string(), "status");
        assert_eq!(ident("a\"b").to_string(), "\"a\"\"b\"");
        assert_eq!(ident("2nd").to_string(), "\"2nd\"");
    }

    #[test]
    fn values_are_escaped_by_the_tree() {
        assert_eq!(text("O'Brien").to_string(), "'O''Brien'");
        assert_eq!(number("12.50").unwrap().to_string(), "12.50");
        assert_eq!(number("-3").unwrap().to_string(), "-3");
        assert!(number("1; DROP TABLE x").is_none());
        assert!(number("1e9").is_none());
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        assert_eq!(date(day).to_string(), "DATE '2024-03-01'");
    }
}
