//! Reading a tagged question into slots: what to aggregate, what to group by, which
//! filters, which dates, what order and how many rows. Each word either fills a slot,
//! is known filler, or costs confidence; unread words are never guessed at.

use chrono::NaiveDate;

use super::{
    dates::{self, Read, Span},
    lexicon::{Entry, Lexicon, Sense},
    tokens::{Comparison, Keyword, Token, TokenKind, keyword_at},
};
use crate::{
    model::{Aggregation, DimensionKind, SemanticModel},
    query::{Direction, Granularity, Operator},
};

/// One reading unit: a keyword phrase, a model phrase, a number or an unknown word.
#[derive(Debug)]
pub(super) enum Item<'l> {
    Keyword(Keyword),
    Ref(&'l [Entry]),
    Number(f64, String),
    Unknown(String),
}

#[derive(Debug)]
pub(super) struct Tagged<'l> {
    pub item: Item<'l>,
    /// Index of the first token, and how many tokens the item covers.
    pub start: usize,
    pub len: usize,
}

/// Tags tokens with the longest match: a model phrase longer than any keyword phrase wins
/// ("total quantity" over "total"); on equal length keywords win, except filler words,
/// which a model may use as names ("amount").
pub(super) fn tag<'l>(tokens: &[Token], lexicon: &'l Lexicon) -> Vec<Tagged<'l>> {
    let keys: Vec<&str> = tokens.iter().map(|t| t.key.as_str()).collect();
    let mut tagged = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        let (item, len) = match token.kind {
            TokenKind::Number(n) => (Item::Number(n, token.raw.clone()), 1),
            // Dates are read by the date reader through the tokens themselves.
            TokenKind::Date(_) => (Item::Number(f64::NAN, token.raw.clone()), 1),
            TokenKind::Word => {
                let keyword = keyword_at(tokens, i);
                let model = lexicon.longest_at(&keys, i);
                match (keyword, model) {
                    (Some((k, kl)), Some((_, ml))) if kl > ml || (kl == ml && k != Keyword::Filler) => {
                        (Item::Keyword(k), kl)
                    }
                    (_, Some((entries, ml))) => (Item::Ref(entries), ml),
                    (Some((k, kl)), None) => (Item::Keyword(k), kl),
                    (None, None) => match lexicon.by_stem(&token.raw) {
                        Some(entries) => (Item::Ref(entries), 1),
                        None => (Item::Unknown(token.raw.clone()), 1),
                    },
                }
            }
        };
        tagged.push(Tagged { item, start: i, len });
        i += len;
    }
    tagged
}

/// A member chosen for the query, by index into the model.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Pick {
    /// A measure of an entity.
    Measure(usize, usize),
    Metric(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Group {
    /// The entity's label.
    Entity(usize),
    Dimension(usize, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Condition {
    pub entity: usize,
    pub dimension: usize,
    pub operator: Operator,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Having {
    pub pick: Pick,
    pub operator: Operator,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum DateCondition {
    Within(Span),
    Before(NaiveDate),
    After(NaiveDate),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Rank {
    Pick(Pick),
    Dimension(usize, usize),
}

/// Everything the question was read to say.
#[derive(Debug, Default)]
pub(super) struct Reading {
    pub measures: Vec<Pick>,
    pub groups: Vec<Group>,
    pub grain: Option<Granularity>,
    pub conditions: Vec<Condition>,
    pub having: Vec<Having>,
    pub dates: Vec<DateCondition>,
    /// A time dimension the question names ("signed up", "opened on").
    pub time_dimension: Option<(usize, usize)>,
    /// Entities in the order the question names them, and whether each was only named.
    pub entities: Vec<usize>,
    /// Dimensions named without a role: shown when rows are listed.
    pub shown: Vec<(usize, usize)>,
    pub rank: Option<(Rank, Direction)>,
    pub limit: Option<u64>,
    /// The limit is a default: "top products" without a number.
    pub default_limit: bool,
    /// "most expensive", "cheapest": the superlative ranks by a price.
    priced: bool,
    /// Number dimensions named "total …" read where no aggregate was asked for ("the total
    /// charge of admissions"): the name already says to add them up.
    totals: Vec<(usize, usize)>,
    /// The entity ranked or listed ("which product", "top 5 stores").
    pub ranked_entity: Option<usize>,
    /// A dimension the question is about ("which category …", "categories with …"):
    /// what a ranking or a condition on a measure groups by.
    pub ranked_dimension: Option<(usize, usize)>,
    /// Sorted without saying by what ("sorted alphabetically"): by the label.
    pub sort_by_label: Option<Direction>,
    pub list: bool,
    /// Confidence lost, and why.
    pub doubts: Vec<(f64, String)>,
}

impl Reading {
    fn doubt(&mut self, cost: f64, why: impl Into<String>) {
        self.doubts.push((cost, why.into()));
    }

    fn mention(&mut self, entity: usize) {
        if !self.entities.contains(&entity) {
            self.entities.push(entity);
        }
    }
}

/// What the next model phrase is expected to be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Nothing,
    Count {
        distinct: bool,
    },
    Aggregate(Aggregation),
    Group,
    Order,
    Superlative(Direction),
    Top,
    /// A comparison with its number, waiting for what it compares.
    Compared(Operator, f64),
}

pub(super) struct Reader<'a> {
    pub model: &'a SemanticModel,
    pub tokens: &'a [Token],
    pub tagged: &'a [Tagged<'a>],
    pub today: NaiveDate,
}

impl Reader<'_> {
    pub fn read(&self) -> Reading {
        let mut reading = Reading::default();
        let context = self.context();
        let reads: Vec<Read<'_>> = (0..self.tokens.len())
            .map(|i| (&self.tokens[i], keyword_at(self.tokens, i).filter(|(_, len)| *len == 1).map(|(k, _)| k)))
            .collect();
        let mut expect = Expect::Nothing;
        let mut negate = false;
        let mut order_direction: Option<Direction> = None;
        let mut last_numeric: Option<Rank> = None;
        let mut top_seen = false;
        let mut after_group = false;
        let mut j = 0;
        while j < self.tagged.len() {
            let tagged = &self.tagged[j];
            j += 1;
            match &tagged.item {
                Item::Unknown(word) => reading.doubt(0.5, format!("does not know the word \"{word}\"")),
                // A year where nothing else wants a number: "revenue by month for 2024".
                Item::Number(n, raw)
                    if n.is_nan()
                        || is_year_like(raw)
                            && (expect_date(&self.tagged[..j - 1])
                                || !matches!(expect, Expect::Top | Expect::Compared(..))) =>
                {
                    // A date or a year read where a date is expected.
                    match dates::span_at(&reads[tagged.start..], self.today) {
                        Some((span, used)) => {
                            reading.dates.push(DateCondition::Within(span));
                            j = self.skip_to(tagged.start + used, j);
                        }
                        None => reading.doubt(0.5, format!("cannot read \"{raw}\"")),
                    }
                }
                Item::Number(n, raw) => match expect {
                    Expect::Top => {
                        reading.default_limit = false;
                        reading.limit = whole(*n);
                        if reading.limit.is_none() {
                            reading.doubt(0.5, format!("cannot show {raw} rows"));
                        }
                    }
                    Expect::Compared(operator, _) => {
                        expect = Expect::Compared(operator, *n);
                        if !self.next_is_ref(j) {
                            match last_numeric.clone() {
                                Some(target) => self.compare(&mut reading, target, operator, raw),
                                None => reading.doubt(0.5, format!("does not know what to compare with {raw}")),
                            }
                            expect = Expect::Nothing;
                        }
                    }
                    _ => reading.doubt(0.5, format!("does not know what {raw} refers to")),
                },
                Item::Keyword(keyword) => match *keyword {
                    // "top 3 stores by number of orders": the count ranks.
                    Keyword::Count if matches!(expect, Expect::Order | Expect::Superlative(_)) => {}
                    Keyword::Count => expect = Expect::Count { distinct: false },
                    Keyword::Distinct => expect = Expect::Count { distinct: true },
                    Keyword::Sum => expect = Expect::Aggregate(Aggregation::Sum),
                    Keyword::Avg => expect = Expect::Aggregate(Aggregation::Avg),
                    Keyword::Min | Keyword::Max => expect = extreme(&reading, *keyword == Keyword::Max),
                    Keyword::Priced(direction) => {
                        reading.priced = true;
                        expect = Expect::Superlative(direction);
                    }
                    Keyword::Most => expect = Expect::Superlative(Direction::Desc),
                    Keyword::Least => expect = Expect::Superlative(Direction::Asc),
                    Keyword::Top | Keyword::Bottom => {
                        let direction = if *keyword == Keyword::Top { Direction::Desc } else { Direction::Asc };
                        reading.rank = None;
                        order_direction = Some(direction);
                        reading.limit = Some(1);
                        reading.default_limit = true;
                        top_seen = true;
                        expect = Expect::Top;
                    }
                    // After "top 5 stores", "by" says what ranks them.
                    Keyword::By if top_seen && reading.rank.is_none() => expect = Expect::Order,
                    Keyword::By => expect = Expect::Group,
                    Keyword::OrderBy => expect = Expect::Order,
                    Keyword::Every(grain) => reading.grain = Some(grain),
                    Keyword::Unit(grain) if expect == Expect::Group => {
                        reading.grain = Some(grain);
                        expect = Expect::Nothing;
                    }
                    Keyword::Unit(_) => reading.doubt(0.5, "does not know which period is meant"),
                    Keyword::Compare(comparison) => expect = Expect::Compared(operator(comparison), f64::NAN),
                    Keyword::Between => {
                        if let Some((low, used)) = dates::span_at(&reads[tagged.start + 1..], self.today) {
                            let and = tagged.start + 1 + used;
                            let high = (reads.get(and).map(|r| r.1) == Some(Some(Keyword::And)))
                                .then(|| dates::span_at(&reads[and + 1..], self.today))
                                .flatten();
                            match high {
                                Some((high, used_high)) => {
                                    reading.dates.push(DateCondition::Within(Span { from: low.from, to: high.to }));
                                    j = self.skip_to(and + 1 + used_high, j);
                                }
                                None => reading.doubt(0.5, "cannot read the dates of \"between\""),
                            }
                        } else {
                            j = self.between_numbers(&mut reading, j, last_numeric.clone());
                        }
                    }
                    Keyword::In | Keyword::Since | Keyword::Before | Keyword::After => {
                        match dates::span_at(&reads[tagged.start + tagged.len..], self.today) {
                            Some((span, used)) => {
                                reading.dates.push(match keyword {
                                    Keyword::Since => DateCondition::Within(Span { from: span.from, to: self.today }),
                                    Keyword::Before => DateCondition::Before(span.from),
                                    Keyword::After => DateCondition::After(span.to),
                                    _ => DateCondition::Within(span),
                                });
                                j = self.skip_to(tagged.start + tagged.len + used, j);
                            }
                            None if *keyword == Keyword::In => {}
                            None => reading.doubt(0.5, "cannot read the date"),
                        }
                    }
                    // "the first quarter of 2024", else "the first order" (the earliest);
                    // "last month", else "the last order" (the latest).
                    Keyword::First | Keyword::Last if dates::span_at(&reads[tagged.start..], self.today).is_none() => {
                        expect = extreme(&reading, *keyword == Keyword::Last);
                    }
                    Keyword::First
                    | Keyword::Last
                    | Keyword::This
                    | Keyword::Today
                    | Keyword::Yesterday
                    | Keyword::Month(_)
                    | Keyword::Quarter(_) => match dates::span_at(&reads[tagged.start..], self.today) {
                        Some((span, used)) => {
                            reading.dates.push(DateCondition::Within(span));
                            j = self.skip_to(tagged.start + used, j);
                        }
                        None => reading.doubt(0.5, "cannot read the date"),
                    },
                    Keyword::Not => negate = true,
                    // "sorted alphabetically" says the order, not what orders.
                    Keyword::Ascending | Keyword::Descending => {
                        let ascending = *keyword == Keyword::Ascending;
                        order_direction = Some(if ascending { Direction::Asc } else { Direction::Desc });
                        if expect == Expect::Order {
                            expect = Expect::Nothing;
                        }
                    }
                    Keyword::List => reading.list = true,
                    // "by status and store type".
                    Keyword::And if after_group => expect = Expect::Group,
                    Keyword::And | Keyword::Or | Keyword::Filler => {}
                },
                Item::Ref(entries) => {
                    // "top products": a plural without a number asks for a few, not one.
                    let last = &self.tokens[tagged.start + tagged.len - 1];
                    if expect == Expect::Top && reading.default_limit && last.raw != last.key {
                        reading.limit = Some(Self::DEFAULT_TOP);
                    }
                    let sense = self.choose(entries, &context, expect, &mut reading);
                    let Some(sense) = sense else { continue };
                    if let Some(entity) = sense.entity() {
                        reading.mention(entity);
                    }
                    let grouping = expect == Expect::Group;
                    // "how many prescriptions cost less than 20": the rows are counted and
                    // the number compared, not added up.
                    let compared_next = matches!(
                        self.tagged.get(j).map(|t| &t.item),
                        Some(Item::Keyword(Keyword::Compare(_) | Keyword::Between))
                    );
                    if let (Expect::Count { .. }, Sense::Dimension(e, d), true) = (expect, &sense, compared_next)
                        && self.is_numeric(*e, *d)
                    {
                        match self.measure(*e, Aggregation::Count, None) {
                            Some(pick) => reading.measures.push(pick),
                            None => reading.doubt(0.5, "the model has no count of this entity"),
                        }
                        last_numeric = Some(Rank::Dimension(*e, *d));
                        expect = Expect::Nothing;
                        continue;
                    }
                    expect = self.fill(&mut reading, sense, expect, &mut negate, &mut last_numeric);
                    after_group = grouping && expect == Expect::Nothing;
                    continue;
                }
            }
            after_group = false;
        }
        if reading.measures.is_empty() && reading.having.is_empty() && reading.rank.is_none() {
            let conditioned =
                |&&(e, d): &&(usize, usize)| reading.conditions.iter().any(|c| (c.entity, c.dimension) == (e, d));
            let total = reading.totals.iter().find(|t| !conditioned(t)).copied();
            if let Some((e, d)) = total {
                match self.measure(e, Aggregation::Sum, Some(d)) {
                    Some(pick) => reading.measures.push(pick),
                    None => reading.doubt(0.5, "the model has no total of this dimension"),
                }
            }
        }
        if let Some(direction) = order_direction {
            match &mut reading.rank {
                Some((_, d)) => *d = direction,
                None if reading.limit.is_some() => {}
                None => reading.sort_by_label = Some(direction),
            }
        }
        if !matches!(expect, Expect::Nothing | Expect::Group | Expect::Top) {
            reading.doubt(0.5, "the question ends before saying what it asks for");
        }
        if matches!(expect, Expect::Top) && reading.rank.is_none() && order_direction.is_some() {
            reading.doubt(0.5, "does not know what to rank by");
        }
        reading
    }

    /// Entities the question names unambiguously, to prefer among the senses of a phrase.
    fn context(&self) -> Vec<usize> {
        self.tagged
            .iter()
            .filter_map(|t| match &t.item {
                Item::Ref(entries) => {
                    let mut entities = entries.iter().filter(|e| !e.weak).filter_map(|e| e.sense.entity());
                    let first = entities.next()?;
                    entities.all(|e| e == first).then_some(first)
                }
                _ => None,
            })
            .collect()
    }

    fn next_is_ref(&self, j: usize) -> bool {
        matches!(self.tagged.get(j).map(|t| &t.item), Some(Item::Ref(_)))
    }

    /// The index of the first tagged item at or after token `token`.
    fn skip_to(&self, token: usize, from: usize) -> usize {
        (from..self.tagged.len()).find(|&k| self.tagged[k].start >= token).unwrap_or(self.tagged.len())
    }

    /// "between 10 and 20": both bounds of the last numeric member named, or the next one.
    fn between_numbers(&self, reading: &mut Reading, j: usize, last: Option<Rank>) -> usize {
        let number = |k: usize| match self.tagged.get(k).map(|t| &t.item) {
            Some(Item::Number(n, raw)) if !n.is_nan() => Some(raw.clone()),
            _ => None,
        };
        let and = matches!(self.tagged.get(j + 1).map(|t| &t.item), Some(Item::Keyword(Keyword::And)));
        let (Some(low), true, Some(high)) = (number(j), and, number(j + 2)) else {
            reading.doubt(0.5, "cannot read the bounds of \"between\"");
            return j;
        };
        let target = last.or_else(|| match self.tagged.get(j + 3).map(|t| &t.item) {
            Some(Item::Ref(entries)) => entries.iter().find_map(|e| match e.sense {
                Sense::Dimension(ei, di) if self.is_numeric(ei, di) => Some(Rank::Dimension(ei, di)),
                _ => None,
            }),
            _ => None,
        });
        match target {
            Some(Rank::Dimension(entity, dimension)) => reading.conditions.push(Condition {
                entity,
                dimension,
                operator: Operator::Between,
                values: vec![low, high],
            }),
            _ => reading.doubt(0.5, "does not know what \"between\" bounds"),
        }
        j + 3
    }

    fn is_numeric(&self, entity: usize, dimension: usize) -> bool {
        self.model.entities[entity].dimensions[dimension].kind == DimensionKind::Number
    }

    fn compare(&self, reading: &mut Reading, target: Rank, operator: Operator, value: &str) {
        match target {
            Rank::Dimension(entity, dimension) => {
                reading.conditions.push(Condition { entity, dimension, operator, values: vec![value.to_owned()] });
            }
            Rank::Pick(pick) => reading.having.push(Having { pick, operator, value: value.to_owned() }),
        }
    }

    /// The sense of a phrase that fits what is expected: strong before weak, then in an
    /// entity the question names; a choice among several still left costs confidence.
    fn choose(&self, entries: &[Entry], context: &[usize], expect: Expect, reading: &mut Reading) -> Option<Sense> {
        let fits = |e: &&Entry| match (&e.sense, expect) {
            (Sense::Dimension(ei, di), Expect::Aggregate(a)) => {
                let kind = self.model.entities[*ei].dimensions[*di].kind;
                kind == DimensionKind::Number || !a.needs_number() && kind == DimensionKind::Time
            }
            (Sense::Value(..), Expect::Group | Expect::Order) => false,
            _ => true,
        };
        let mut candidates: Vec<&Entry> = entries.iter().filter(fits).collect();
        if candidates.iter().any(|e| !e.weak) {
            candidates.retain(|e| !e.weak);
        } else if !candidates.is_empty() {
            reading.doubt(0.1, "matched part of a name");
        }
        if candidates.len() > 1 {
            let in_context: Vec<&Entry> =
                candidates.iter().copied().filter(|e| e.sense.entity().is_some_and(|x| context.contains(&x))).collect();
            if !in_context.is_empty() {
                candidates = in_context;
            }
        }
        if candidates.len() > 1 && !matches!(expect, Expect::Count { .. } | Expect::Group | Expect::Top) {
            // Where a measure shares a word with an entity ("sales"), the measure is meant
            // unless the question counts, groups or ranks rows ("how many sales").
            let measures: Vec<&Entry> = candidates
                .iter()
                .copied()
                .filter(|e| matches!(e.sense, Sense::Measure(..) | Sense::Metric(_)))
                .collect();
            if measures.len() == 1 && candidates.iter().any(|e| matches!(e.sense, Sense::Entity(_))) {
                candidates = measures;
            }
        }
        if candidates.len() > 1 {
            // An entity named outright is what the phrase means ("orders", not a measure
            // with "orders" among its synonyms).
            let entities: Vec<&Entry> =
                candidates.iter().copied().filter(|e| matches!(e.sense, Sense::Entity(_))).collect();
            if entities.len() == 1 {
                candidates = entities;
            }
        }
        match candidates.as_slice() {
            [] => {
                reading.doubt(0.5, "a name does not fit where it stands");
                None
            }
            [one] => Some(one.sense.clone()),
            [first, ..] => {
                reading.doubt(0.45, "a name could mean several things");
                Some(first.sense.clone())
            }
        }
    }

    /// Puts a sense in its slot; returns what is expected next.
    fn fill(
        &self,
        reading: &mut Reading,
        sense: Sense,
        expect: Expect,
        negate: &mut bool,
        last_numeric: &mut Option<Rank>,
    ) -> Expect {
        if let Sense::Value(entity, dimension, value) = &sense {
            let operator = if std::mem::take(negate) { Operator::NotEquals } else { Operator::Equals };
            match reading
                .conditions
                .iter_mut()
                .find(|c| c.entity == *entity && c.dimension == *dimension && c.operator == operator)
            {
                Some(condition) => condition.values.push(value.clone()),
                None => reading.conditions.push(Condition {
                    entity: *entity,
                    dimension: *dimension,
                    operator,
                    values: vec![value.clone()],
                }),
            }
            // A value qualifies the thing expected next ("how many shipped orders"), except
            // after "by", where it says who did it ("orders by consumer customers").
            return if expect == Expect::Group { Expect::Nothing } else { expect };
        }
        if *negate {
            reading.doubt(0.5, "does not know what \"not\" applies to");
            *negate = false;
        }
        match (expect, sense) {
            (Expect::Count { distinct }, Sense::Entity(e)) => {
                match self.measure(e, Aggregation::Count, None) {
                    Some(pick) => reading.measures.push(pick),
                    None => reading.doubt(0.5, "the model has no count of this entity"),
                }
                if distinct {
                    reading.doubt(0.05, "counted distinct rows");
                }
                Expect::Nothing
            }
            // "how many units": a quantity counts by adding up.
            (Expect::Count { .. }, Sense::Dimension(e, d)) if self.is_numeric(e, d) => {
                match self.measure(e, Aggregation::Sum, Some(d)) {
                    Some(pick) => reading.measures.push(pick),
                    None => reading.doubt(0.5, "the model has no total of this dimension"),
                }
                Expect::Nothing
            }
            (Expect::Count { .. }, Sense::Dimension(e, d)) => {
                match self.measure(e, Aggregation::CountDistinct, Some(d)) {
                    Some(pick) => reading.measures.push(pick),
                    None => reading.doubt(0.5, "the model has no distinct count of this dimension"),
                }
                Expect::Nothing
            }
            // "the first order", "the latest admission": the extreme of the entity's date.
            (Expect::Aggregate(aggregation @ (Aggregation::Min | Aggregation::Max)), Sense::Entity(e)) => {
                let times = self.dimensions_of(e, |d| d.kind == DimensionKind::Time);
                match times.as_slice() {
                    [d, rest @ ..] => {
                        if !rest.is_empty() {
                            reading.doubt(0.45, "the entity has several dates");
                        }
                        match self.measure(e, aggregation, Some(*d)) {
                            Some(pick) => reading.measures.push(pick),
                            None => reading.doubt(0.5, "the model has no such aggregate of this date"),
                        }
                    }
                    [] => reading.doubt(0.5, "does not know which date makes it first or last"),
                }
                Expect::Nothing
            }
            (Expect::Aggregate(aggregation), Sense::Dimension(e, d)) => {
                match self.measure(e, aggregation, Some(d)) {
                    Some(pick) => {
                        *last_numeric = Some(Rank::Pick(pick.clone()));
                        reading.measures.push(pick);
                    }
                    None => reading.doubt(0.5, "the model has no such aggregate of this dimension"),
                }
                Expect::Nothing
            }
            (Expect::Group, Sense::Entity(e)) => {
                reading.groups.push(Group::Entity(e));
                Expect::Nothing
            }
            (Expect::Group, Sense::Dimension(e, d)) => {
                if self.model.entities[e].dimensions[d].kind == DimensionKind::Time {
                    reading.doubt(0.5, "grouping by a date needs a grain (by month, by year)");
                }
                reading.groups.push(Group::Dimension(e, d));
                Expect::Nothing
            }
            (Expect::Order | Expect::Superlative(_), sense) => {
                let direction = match expect {
                    Expect::Superlative(d) => d,
                    _ => Direction::Asc,
                };
                let ranked_elsewhere = reading.ranked_entity.is_some_and(|r| sense.entity() != Some(r))
                    || reading.ranked_dimension.is_some_and(|(r, _)| sense.entity() != Some(r));
                let rank = match sense {
                    Sense::Entity(e) if reading.priced => self
                        .dimensions_of(e, |d| d.kind == DimensionKind::Number && is_price(&d.name))
                        .first()
                        .map(|&d| Rank::Dimension(e, d)),
                    Sense::Entity(e) => self.measure(e, Aggregation::Count, None).map(Rank::Pick),
                    // "the product that sold the most units" adds up the units of its sales.
                    Sense::Dimension(e, d) if ranked_elsewhere && self.is_numeric(e, d) => {
                        self.measure(e, Aggregation::Sum, Some(d)).map(Rank::Pick)
                    }
                    Sense::Dimension(e, d) => Some(Rank::Dimension(e, d)),
                    Sense::Measure(e, m) => Some(Rank::Pick(Pick::Measure(e, m))),
                    Sense::Metric(m) => Some(Rank::Pick(Pick::Metric(m))),
                    Sense::Value(..) => None,
                };
                match rank {
                    Some(rank) => reading.rank = Some((rank, direction)),
                    None => reading.doubt(0.5, "does not know what to rank by"),
                }
                if matches!(expect, Expect::Superlative(_)) && reading.limit.is_none() {
                    reading.limit = Some(1);
                }
                Expect::Nothing
            }
            (Expect::Top, Sense::Entity(e)) => {
                reading.ranked_entity = Some(e);
                Expect::Nothing
            }
            (Expect::Top, Sense::Dimension(e, d)) if !self.is_numeric(e, d) => {
                reading.ranked_dimension = Some((e, d));
                Expect::Nothing
            }
            (Expect::Compared(operator, value), sense) if !value.is_nan() => {
                let target = match sense {
                    Sense::Entity(e) => self.measure(e, Aggregation::Count, None).map(Rank::Pick),
                    Sense::Dimension(e, d) if self.is_numeric(e, d) => Some(Rank::Dimension(e, d)),
                    Sense::Measure(e, m) => Some(Rank::Pick(Pick::Measure(e, m))),
                    Sense::Metric(m) => Some(Rank::Pick(Pick::Metric(m))),
                    _ => None,
                };
                match target {
                    Some(target) => self.compare(reading, target, operator, &number_text(value)),
                    None => reading.doubt(0.5, "does not know what the comparison applies to"),
                }
                Expect::Nothing
            }
            (_, Sense::Entity(e)) => {
                if reading.list && reading.ranked_entity.is_none() {
                    reading.ranked_entity = Some(e);
                }
                expect
            }
            (_, Sense::Dimension(e, d)) => {
                let kind = self.model.entities[e].dimensions[d].kind;
                match kind {
                    DimensionKind::Number => {
                        *last_numeric = Some(Rank::Dimension(e, d));
                        let name = crate::words::split(&self.model.entities[e].dimensions[d].name);
                        let listed = reading.list && reading.ranked_entity.is_some();
                        if matches!(name.first().map(String::as_str), Some("total" | "sum")) && !listed {
                            reading.totals.push((e, d));
                        }
                    }
                    DimensionKind::Time => reading.time_dimension = Some((e, d)),
                    // The first thing a question names is what it is about.
                    DimensionKind::Categorical | DimensionKind::Boolean => {
                        let first = reading.entities == [e] && reading.measures.is_empty();
                        if first && reading.ranked_entity.is_none() && reading.ranked_dimension.is_none() {
                            reading.ranked_dimension = Some((e, d));
                        }
                    }
                }
                reading.shown.push((e, d));
                expect
            }
            (_, Sense::Measure(e, m)) => {
                let pick = Pick::Measure(e, m);
                *last_numeric = Some(Rank::Pick(pick.clone()));
                reading.measures.push(pick);
                Expect::Nothing
            }
            (_, Sense::Metric(m)) => {
                let pick = Pick::Metric(m);
                *last_numeric = Some(Rank::Pick(pick.clone()));
                reading.measures.push(pick);
                Expect::Nothing
            }
            (_, Sense::Value(..)) => expect,
        }
    }

    /// How many rows "top" shows when the question gives no number.
    pub const DEFAULT_TOP: u64 = 10;

    /// The indices of `entity`'s dimensions that pass `keep`.
    fn dimensions_of(&self, entity: usize, keep: impl Fn(&crate::model::Dimension) -> bool) -> Vec<usize> {
        let dimensions = &self.model.entities[entity].dimensions;
        (0..dimensions.len()).filter(|&d| keep(&dimensions[d])).collect()
    }

    /// The unfiltered measure of `entity` with this aggregation (over `dimension`'s column).
    fn measure(&self, entity: usize, aggregation: Aggregation, dimension: Option<usize>) -> Option<Pick> {
        let e = &self.model.entities[entity];
        let column = dimension.map(|d| e.dimensions[d].column.as_str());
        let index = e
            .measures
            .iter()
            .position(|m| m.aggregation == aggregation && m.filters.is_empty() && m.column.as_deref() == column)?;
        Some(Pick::Measure(entity, index))
    }
}

/// After "highest", "first" or "latest": "which product has the highest price" ranks
/// products; "the highest price" aggregates.
fn extreme(reading: &Reading, max: bool) -> Expect {
    if reading.list && !reading.entities.is_empty() {
        Expect::Superlative(if max { Direction::Desc } else { Direction::Asc })
    } else {
        Expect::Aggregate(if max { Aggregation::Max } else { Aggregation::Min })
    }
}

/// Whether a name says what one of something costs ("list price", "UnitCost", "Fee").
fn is_price(name: &str) -> bool {
    crate::words::split(name).iter().any(|w| matches!(w.as_str(), "price" | "cost" | "fee" | "charge" | "rate"))
}

fn operator(comparison: Comparison) -> Operator {
    match comparison {
        Comparison::Gt => Operator::Gt,
        Comparison::Gte => Operator::Gte,
        Comparison::Lt => Operator::Lt,
        Comparison::Lte => Operator::Lte,
    }
}

fn whole(n: f64) -> Option<u64> {
    (n >= 1.0 && n.fract() == 0.0 && n <= 10_000.0).then_some(n as u64)
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 { format!("{n:.0}") } else { n.to_string() }
}

fn is_year_like(raw: &str) -> bool {
    raw.len() == 4 && raw.parse::<u32>().is_ok_and(|y| (1900..=2100).contains(&y))
}

/// Whether the items before a number make it a date: "in", "since", "before", "after",
/// "between", or a month name.
fn expect_date(before: &[Tagged<'_>]) -> bool {
    matches!(
        before.last().map(|t| &t.item),
        Some(Item::Keyword(
            Keyword::In | Keyword::Since | Keyword::Before | Keyword::After | Keyword::Month(_) | Keyword::Quarter(_)
        ))
    )
}
