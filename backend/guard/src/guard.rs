use std::{collections::BTreeMap, ops::ControlFlow};

use kurobe_connector::{Dialect, Schema};
use sqlparser::{
    ast::{
        Expr, LimitClause, ObjectName, ObjectNamePart, Query, SetExpr, Statement, TableFactor, Value, Visit, Visitor,
    },
    dialect::{Dialect as SqlDialect, DuckDbDialect, GenericDialect, PostgreSqlDialect},
    parser::Parser,
};

use crate::{RowPolicy, functions, policy};

/// SQL that passed the guard, rendered from the checked syntax tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guarded {
    pub sql: String,
}

/// Why SQL was refused. Each message names the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the SQL does not parse: {0}")]
    Unparsable(String),
    #[error("exactly one statement is allowed; found {0}")]
    StatementCount(usize),
    #[error("only queries are allowed, not {0}")]
    NotAQuery(String),
    #[error("{0} is not allowed in a read-only query")]
    Forbidden(&'static str),
    #[error("`{0}` is not a table or view of this data source")]
    UnknownRelation(String),
    #[error("table functions are not allowed: `{0}`")]
    TableFunction(String),
    #[error("the function `{0}` is not allowed")]
    Function(String),
    #[error("LIMIT must be a whole number")]
    Limit,
    #[error("a row policy cannot be applied: {0}")]
    Policy(String),
}

/// Checks `sql` for `dialect` against the tables of `schema`, and caps it at `max_rows + 1`
/// rows (the extra row tells the connector the result was cut). Returns the SQL to run.
pub fn check(sql: &str, dialect: Dialect, schema: &Schema, max_rows: u64) -> Result<Guarded, Refusal> {
    check_with_policies(sql, dialect, schema, max_rows, &[], &BTreeMap::new())
}

/// [`check`], then the row policies applied with the caller's `values`.
pub fn check_with_policies(
    sql: &str,
    dialect: Dialect,
    schema: &Schema,
    max_rows: u64,
    policies: &[RowPolicy],
    values: &BTreeMap<String, String>,
) -> Result<Guarded, Refusal> {
    let parser_dialect: &dyn SqlDialect = match dialect {
        Dialect::Postgres => &PostgreSqlDialect {},
        Dialect::DuckDb => &DuckDbDialect {},
        // sqlparser has no Trino dialect; the generic one reads Trino's ANSI-style SQL.
        Dialect::Trino => &GenericDialect {},
    };
    let mut statements = Parser::parse_sql(parser_dialect, sql).map_err(|e| Refusal::Unparsable(e.to_string()))?;
    if statements.len() != 1 {
        return Err(Refusal::StatementCount(statements.len()));
    }
    let Statement::Query(mut query) = statements.remove(0) else {
        let kind = statements_kind(sql);
        return Err(Refusal::NotAQuery(kind));
    };
    let mut checker = Checker { dialect, schema, ctes: Vec::new() };
    if let ControlFlow::Break(refusal) = query.visit(&mut checker) {
        return Err(refusal);
    }
    policy::apply(&mut query, policies, values, parser_dialect)?;
    cap(&mut query, max_rows.saturating_add(1))?;
    let sql = query.to_string();
    verify_rendering(&sql, parser_dialect, dialect, schema)?;
    Ok(Guarded { sql })
}

/// The renderer is a second parser-sized piece of code that can be wrong: it once dropped
/// the quotes of string literals in a custom type's modifiers. So the rendered text is
/// parsed again, must still be one checked query, and must render to itself — what runs is
/// exactly what was checked, or nothing runs.
fn verify_rendering(
    sql: &str,
    parser_dialect: &dyn SqlDialect,
    dialect: Dialect,
    schema: &Schema,
) -> Result<(), Refusal> {
    let unfaithful = || Refusal::Forbidden("SQL that does not survive rendering unchanged");
    let mut statements = Parser::parse_sql(parser_dialect, sql).map_err(|_| unfaithful())?;
    let (Some(Statement::Query(query)), true) = (statements.pop(), statements.is_empty()) else {
        return Err(unfaithful());
    };
    if query.to_string() != sql {
        return Err(unfaithful());
    }
    // Policies add derived tables over known tables only, so the same checks hold.
    let mut checker = Checker { dialect, schema, ctes: Vec::new() };
    match query.visit(&mut checker) {
        ControlFlow::Break(refusal) => Err(refusal),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// The first word of the statement, upper-cased, for the refusal message.
fn statements_kind(sql: &str) -> String {
    sql.split_whitespace().next().unwrap_or("an empty statement").to_uppercase()
}

/// Sets `LIMIT` to at most `cap`.
fn cap(query: &mut Query, cap: u64) -> Result<(), Refusal> {
    if query.fetch.is_some() {
        return Err(Refusal::Forbidden("FETCH FIRST (use LIMIT)"));
    }
    let capped = || Expr::value(Value::Number(cap.to_string(), false));
    match &mut query.limit_clause {
        None => {
            query.limit_clause =
                Some(LimitClause::LimitOffset { limit: Some(capped()), offset: None, limit_by: Vec::new() });
        }
        Some(LimitClause::LimitOffset { limit, limit_by, .. }) if limit_by.is_empty() => match limit {
            None => *limit = Some(capped()),
            Some(Expr::Value(value)) => match &value.value {
                Value::Number(n, _) => {
                    let n: u64 = n.parse().map_err(|_| Refusal::Limit)?;
                    if n > cap {
                        *limit = Some(capped());
                    }
                }
                _ => return Err(Refusal::Limit),
            },
            Some(_) => return Err(Refusal::Limit),
        },
        Some(_) => return Err(Refusal::Limit),
    }
    Ok(())
}

struct Checker<'a> {
    dialect: Dialect,
    schema: &'a Schema,
    /// The CTE names in scope, one set per enclosing query.
    ctes: Vec<Vec<String>>,
}

/// The names a query's WITH clause defines, lower-cased.
pub(crate) fn cte_names(query: &Query) -> Vec<String> {
    query.with.iter().flat_map(|with| with.cte_tables.iter().map(|cte| cte.alias.name.value.to_lowercase())).collect()
}

pub(crate) fn part_names(name: &ObjectName) -> Option<Vec<String>> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident.value.to_lowercase()),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

/// Refuses anything but a plain read: a data-modifying body, `SELECT INTO`.
fn check_body(body: &SetExpr) -> ControlFlow<Refusal> {
    match body {
        SetExpr::Select(select) if select.into.is_some() => ControlFlow::Break(Refusal::Forbidden("SELECT INTO")),
        SetExpr::Select(_) | SetExpr::Query(_) | SetExpr::Values(_) => ControlFlow::Continue(()),
        SetExpr::SetOperation { left, right, .. } => {
            check_body(left)?;
            check_body(right)
        }
        SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
            ControlFlow::Break(Refusal::Forbidden("a data-modifying statement"))
        }
        _ => ControlFlow::Break(Refusal::Forbidden("this kind of query body")),
    }
}

impl Checker<'_> {
    fn known(&self, parts: &[String]) -> bool {
        match parts {
            [name] => {
                self.ctes.iter().flatten().any(|cte| cte == name)
                    || self.schema.tables.iter().any(|t| t.name.eq_ignore_ascii_case(name))
            }
            [schema, name] => self.schema.table(schema, name).is_some(),
            _ => false,
        }
    }
}

impl Visitor for Checker<'_> {
    type Break = Refusal;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Refusal> {
        if !query.locks.is_empty() {
            return ControlFlow::Break(Refusal::Forbidden("a locking clause (FOR UPDATE / FOR SHARE)"));
        }
        if query.for_clause.is_some() || query.settings.is_some() || query.format_clause.is_some() {
            return ControlFlow::Break(Refusal::Forbidden("a FOR, SETTINGS or FORMAT clause"));
        }
        if !query.pipe_operators.is_empty() {
            return ControlFlow::Break(Refusal::Forbidden("pipe syntax"));
        }
        check_body(&query.body)?;
        self.ctes.push(cte_names(query));
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<Refusal> {
        self.ctes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Refusal> {
        match factor {
            TableFactor::Table { name, args: Some(_), .. } => {
                ControlFlow::Break(Refusal::TableFunction(name.to_string()))
            }
            TableFactor::Table { name, .. } => match part_names(name) {
                Some(parts) if self.known(&parts) => ControlFlow::Continue(()),
                _ => ControlFlow::Break(Refusal::UnknownRelation(name.to_string())),
            },
            TableFactor::Derived { .. } | TableFactor::NestedJoin { .. } => ControlFlow::Continue(()),
            other => {
                let text: String = other.to_string().chars().take(80).collect();
                ControlFlow::Break(Refusal::TableFunction(text))
            }
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<Refusal> {
        if let Expr::Function(function) = expr {
            let allowed = match part_names(&function.name).as_deref() {
                Some([name]) => functions::allowed(self.dialect, name),
                _ => false,
            };
            if !allowed {
                return ControlFlow::Break(Refusal::Function(function.name.to_string()));
            }
        }
        ControlFlow::Continue(())
    }
}
