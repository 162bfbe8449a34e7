//! Which tables a query joins, and whether the joins repeat rows. Joins follow the model's
//! many-to-one edges in either direction along the shortest path from the query's root
//! entity; walking an edge from the "one" side to the "many" side repeats the rows it
//! started from, which decides how measures may aggregate (see `measure_expr`).

use std::collections::{HashMap, VecDeque};

use crate::model::{Entity, SemanticModel};

use super::CompileError;

/// One join: `to` is joined to the entity `from` already in the query.
#[derive(Debug)]
pub(super) struct JoinStep<'m> {
    pub to: &'m Entity,
    pub from: &'m Entity,
    /// Column of `from`, column of `to`.
    pub pairs: Vec<(&'m str, &'m str)>,
}

#[derive(Debug)]
pub(super) struct JoinPlan<'m> {
    pub root: &'m Entity,
    pub steps: Vec<JoinStep<'m>>,
    /// Some step goes from one to many, so rows of every entity may repeat.
    pub fans_out: bool,
}

impl JoinPlan<'_> {
    /// Whether rows of `entity` may appear more than once in the joined rows.
    pub fn repeats(&self, entity: &Entity) -> bool {
        self.fans_out || entity.name != self.root.name
    }
}

/// An edge of the join graph as seen from one end.
struct Edge<'m> {
    to: usize,
    pairs: Vec<(&'m str, &'m str)>,
    /// Walking it goes from the "one" side to the "many" side.
    fans_out: bool,
}

/// Plans the joins reaching every entity of `needed`, rooted at the first of `roots` from
/// which all are reachable without repeating rows, or failing that, reachable at all.
pub(super) fn plan<'m>(
    model: &'m SemanticModel,
    roots: &[&str],
    needed: &[&str],
) -> Result<JoinPlan<'m>, CompileError> {
    let index = |name: &str| model.entities.iter().position(|e| e.name == name);
    let graph = graph(model);
    let mut fallback = None;
    for root in roots {
        let Some(root) = index(root) else { continue };
        let tree = breadth_first(&graph, root);
        let targets: Option<Vec<usize>> = needed.iter().map(|n| index(n).filter(|&i| tree[i].is_some())).collect();
        let Some(targets) = targets else { continue };
        let candidate = assemble(model, &graph, &tree, root, &targets);
        if !candidate.fans_out {
            return Ok(candidate);
        }
        fallback.get_or_insert(candidate);
    }
    fallback.ok_or_else(|| CompileError::NoJoinPath(needed.join(", ")))
}

fn graph(model: &SemanticModel) -> Vec<Vec<Edge<'_>>> {
    let mut graph: Vec<Vec<Edge<'_>>> = model.entities.iter().map(|_| Vec::new()).collect();
    // Looked up by name once per join, which on large models is what the time goes to.
    let index: HashMap<&str, usize> = model.entities.iter().enumerate().map(|(i, e)| (e.name.as_str(), i)).collect();
    for (from, entity) in model.entities.iter().enumerate() {
        for join in &entity.joins {
            let Some(&to) = index.get(join.to.as_str()) else { continue };
            let forward = join.on.iter().map(|p| (p.from.as_str(), p.to.as_str())).collect();
            let backward = join.on.iter().map(|p| (p.to.as_str(), p.from.as_str())).collect();
            graph[from].push(Edge { to, pairs: forward, fans_out: false });
            graph[to].push(Edge { to: from, pairs: backward, fans_out: true });
        }
    }
    graph
}

/// For each entity reached: its parent and the edge taken (index into the parent's edges),
/// and the order it was reached in. The root has itself as parent.
type Tree = Vec<Option<(usize, usize, usize)>>;

fn breadth_first(graph: &[Vec<Edge<'_>>], root: usize) -> Tree {
    let mut tree: Tree = vec![None; graph.len()];
    tree[root] = Some((root, usize::MAX, 0));
    let mut queue = VecDeque::from([root]);
    let mut reached = 1;
    while let Some(node) = queue.pop_front() {
        // Edges that keep rows unique first, so among equally short paths the plan prefers
        // the one that does not repeat rows.
        let mut edges: Vec<(usize, &Edge<'_>)> = graph[node].iter().enumerate().collect();
        edges.sort_by_key(|(_, e)| e.fans_out);
        for (edge_index, edge) in edges {
            if tree[edge.to].is_none() {
                tree[edge.to] = Some((node, edge_index, reached));
                reached += 1;
                queue.push_back(edge.to);
            }
        }
    }
    tree
}

fn assemble<'m>(
    model: &'m SemanticModel,
    graph: &[Vec<Edge<'m>>],
    tree: &Tree,
    root: usize,
    targets: &[usize],
) -> JoinPlan<'m> {
    let mut used: Vec<usize> = Vec::new();
    for &target in targets {
        let mut node = target;
        while node != root && !used.contains(&node) {
            used.push(node);
            node = tree[node].map_or(root, |(parent, _, _)| parent);
        }
    }
    // Parents are reached before their children, so this order joins each table after
    // the one its condition refers to.
    used.sort_by_key(|&node| tree[node].map_or(0, |(_, _, order)| order));
    let mut fans_out = false;
    let steps = used
        .into_iter()
        .filter_map(|node| {
            let (parent, edge_index, _) = tree[node]?;
            let edge = &graph[parent][edge_index];
            fans_out |= edge.fans_out;
            Some(JoinStep { to: &model.entities[node], from: &model.entities[parent], pairs: edge.pairs.clone() })
        })
        .collect();
    JoinPlan { root: &model.entities[root], steps, fans_out }
}
