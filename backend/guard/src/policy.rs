//! Row policies: a predicate injected wherever a table appears — in joins, CTEs,
//! subqueries and set operations — by replacing the table with a filtered derived table of
//! the same name. Values come from the caller and enter the syntax tree as string literals,
//! never as SQL text.

use std::{collections::BTreeMap, ops::ControlFlow};

use sqlparser::{
    ast::{
        Expr, Ident, Query, SetExpr, Statement, TableAlias, TableFactor, Value, VisitMut, VisitorMut,
        visit_expressions_mut,
    },
    dialect::Dialect as SqlDialect,
    parser::Parser,
};

use kurobe_connector::catalog::qualified;

use crate::Refusal;

/// "Rows of `schema.table` this caller may see satisfy `predicate`." The predicate is SQL
/// written by an administrator, with `{{name}}` placeholders for the caller's values, e.g.
/// `region = {{user.attributes.region}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowPolicy {
    pub schema: String,
    pub table: String,
    pub predicate: String,
}

/// A policy's predicate, parsed, with the caller's values in place.
struct Resolved<'a> {
    policy: &'a RowPolicy,
    predicate: Expr,
}

const MARKER: &str = "__kurobe_value_";

/// Parses a predicate with its placeholders as marker identifiers, then swaps each marker
/// for the caller's value as a string literal. A placeholder without a value refuses the
/// query: a policy that cannot be applied must not be skipped.
fn resolve<'a>(
    policy: &'a RowPolicy,
    values: &BTreeMap<String, String>,
    dialect: &dyn SqlDialect,
) -> Result<Resolved<'a>, Refusal> {
    let mut text = String::new();
    let mut names = Vec::new();
    let mut rest = policy.predicate.as_str();
    while let Some(start) = rest.find("{{") {
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| Refusal::Policy(format!("unclosed placeholder in `{}`", policy.predicate)))?;
        text.push_str(&rest[..start]);
        text.push_str(&format!("{MARKER}{}", names.len()));
        names.push(rest[start + 2..start + end].trim().to_owned());
        rest = &rest[start + end + 2..];
    }
    text.push_str(rest);
    let mut predicate = Parser::new(dialect)
        .try_with_sql(&text)
        .and_then(|mut parser| parser.parse_expr())
        .map_err(|e| Refusal::Policy(format!("the predicate `{}` does not parse: {e}", policy.predicate)))?;
    let mut missing = None;
    let _ = visit_expressions_mut(&mut predicate, |expr| {
        if let Expr::Identifier(ident) = expr
            && let Some(index) = ident.value.strip_prefix(MARKER).and_then(|i| i.parse::<usize>().ok())
        {
            match names.get(index).and_then(|name| values.get(name)) {
                Some(value) => *expr = Expr::value(Value::SingleQuotedString(value.clone())),
                None => missing = names.get(index).cloned(),
            }
        }
        ControlFlow::<()>::Continue(())
    });
    if let Some(name) = missing {
        return Err(Refusal::Policy(format!("no value for `{name}`, which a row policy on {} needs", policy.table)));
    }
    Ok(Resolved { policy, predicate })
}

struct Injector<'a> {
    policies: Vec<Resolved<'a>>,
    dialect: &'a dyn SqlDialect,
    ctes: Vec<Vec<String>>,
    failure: Option<Refusal>,
}

impl Injector<'_> {
    fn policy_for(&self, parts: &[String]) -> Option<&Resolved<'_>> {
        let shadowed = |name: &str| self.ctes.iter().flatten().any(|cte| cte == name);
        self.policies.iter().find(|p| match parts {
            [name] => !shadowed(name) && p.policy.table.eq_ignore_ascii_case(name),
            [schema, name] => p.policy.schema.eq_ignore_ascii_case(schema) && p.policy.table.eq_ignore_ascii_case(name),
            _ => false,
        })
    }

    /// `(SELECT * FROM <table> WHERE <predicate>) AS <alias>`, built from rendered syntax
    /// nodes (whose literals the renderer escapes) and parsed back into a table factor.
    fn filtered(&self, factor: &TableFactor, predicate: &Expr) -> Result<TableFactor, Refusal> {
        let TableFactor::Table { name, alias, .. } = factor else {
            return Err(Refusal::Policy("internal: not a table".into()));
        };
        let alias = alias.clone().unwrap_or_else(|| TableAlias {
            explicit: true,
            name: name.0.last().and_then(|part| part.as_ident()).cloned().unwrap_or_else(|| Ident::new("t")),
            columns: Vec::new(),
            at: None,
        });
        let columns = if alias.columns.is_empty() {
            String::new()
        } else {
            format!("({})", alias.columns.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
        };
        let sql = format!("SELECT * FROM (SELECT * FROM {name} WHERE {predicate}) AS {}{columns}", alias.name);
        let mut statements = Parser::parse_sql(self.dialect, &sql).map_err(|e| Refusal::Policy(e.to_string()))?;
        match statements.pop() {
            Some(Statement::Query(query)) => match *query.body {
                SetExpr::Select(select) => select
                    .from
                    .into_iter()
                    .next()
                    .map(|from| from.relation)
                    .ok_or_else(|| Refusal::Policy("internal: no relation".into())),
                _ => Err(Refusal::Policy("internal: not a select".into())),
            },
            _ => Err(Refusal::Policy("internal: not a query".into())),
        }
    }
}

impl VisitorMut for Injector<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        self.ctes.push(crate::guard::cte_names(query));
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.ctes.pop();
        ControlFlow::Continue(())
    }

    // After the children: the replacement contains the table again, and must not be
    // filtered twice.
    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::Table { name, args: None, .. } = &*factor else { return ControlFlow::Continue(()) };
        let Some(parts) = crate::guard::part_names(name) else { return ControlFlow::Continue(()) };
        let Some(predicate) = self.policy_for(&parts).map(|p| p.predicate.clone()) else {
            return ControlFlow::Continue(());
        };
        match self.filtered(factor, &predicate) {
            Ok(replacement) => {
                *factor = replacement;
                ControlFlow::Continue(())
            }
            Err(refusal) => {
                self.failure = Some(refusal);
                ControlFlow::Break(())
            }
        }
    }
}

/// Checks a policy before it is stored: its table is known, its predicate parses, and a
/// query filtered by it (with every placeholder given an empty value) passes the guard.
pub fn validate(
    policy: &RowPolicy,
    dialect: kurobe_connector::Dialect,
    schema: &kurobe_connector::Schema,
) -> Result<(), Refusal> {
    if schema.table(&policy.schema, &policy.table).is_none() {
        return Err(Refusal::Policy(format!("no table {}.{} is known", policy.schema, policy.table)));
    }
    let mut values = BTreeMap::new();
    let mut rest = policy.predicate.as_str();
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}").map_or(rest.len(), |e| start + e);
        values.insert(rest[start + 2..end].trim().to_owned(), String::new());
        rest = &rest[(end + 2).min(rest.len())..];
    }
    let probe = format!("SELECT 1 FROM {}", qualified(&policy.schema, &policy.table));
    crate::check_with_policies(&probe, dialect, schema, 1, std::slice::from_ref(policy), &values).map(drop)
}

/// Applies every policy to the query.
pub(crate) fn apply(
    query: &mut Query,
    policies: &[RowPolicy],
    values: &BTreeMap<String, String>,
    dialect: &dyn SqlDialect,
) -> Result<(), Refusal> {
    if policies.is_empty() {
        return Ok(());
    }
    let resolved = policies.iter().map(|p| resolve(p, values, dialect)).collect::<Result<Vec<_>, _>>()?;
    let mut injector = Injector { policies: resolved, dialect, ctes: Vec::new(), failure: None };
    let _ = query.visit(&mut injector);
    match injector.failure {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}
