use serde::{Deserialize, Serialize};

/// The chart kinds Kurobe draws. A chart is this declarative spec, never code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// One number.
    Kpi,
    Line,
    Area,
    Bar,
    StackedBar,
    Pie,
    Scatter,
    Table,
}

impl ChartKind {
    pub const ALL: [ChartKind; 8] = [
        ChartKind::Kpi,
        ChartKind::Line,
        ChartKind::Area,
        ChartKind::Bar,
        ChartKind::StackedBar,
        ChartKind::Pie,
        ChartKind::Scatter,
        ChartKind::Table,
    ];
}

/// How values on the measure axis read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ValueFormat {
    Number,
    Integer,
    Currency,
    Percent,
}

/// A chart: its kind and which result columns go where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChartSpec {
    pub kind: ChartKind,
    /// The category or time column.
    pub x: Option<String>,
    /// The measure columns.
    #[serde(default)]
    pub y: Vec<String>,
    /// A column whose values split the measure into series.
    pub series: Option<String>,
    pub format: Option<ValueFormat>,
}
