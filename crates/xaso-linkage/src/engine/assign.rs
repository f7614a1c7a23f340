//! One-to-one assignment and clusters of duplicates.
//!
//! Assignment is greedy by descending weight (Bayes factor), which is what an officer would do
//! by hand and is within a hair of the optimal (Hungarian) assignment when weights are as
//! separated as they are here: every candidate at or above the review threshold, across all
//! rows, is taken in order of weight (ties: lower row, then lower register index); a row takes
//! its candidate if the row has none yet and the register person is free. When the person is
//! already taken, the row is a duplicate of the taker if the two rows agree strongly with each
//! other (the caller's test): it keeps the person and joins the taker's cluster. Otherwise the
//! row goes on to its next candidate.

/// A scored candidate of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scored {
    pub weight: f64,
    pub probability: f64,
    pub other: u32,
}

/// Every row's candidates, strongest first, in one flat array.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScoredRows {
    /// Candidates of row r are `items[start[r]..start[r + 1]]`.
    pub start: Vec<usize>,
    pub items: Vec<Scored>,
}

impl ScoredRows {
    pub(crate) fn rows(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    pub(crate) fn row(&self, r: usize) -> &[Scored] {
        &self.items[self.start[r]..self.start[r + 1]]
    }

    #[cfg(test)]
    pub(crate) fn from_rows(rows: Vec<Vec<Scored>>) -> ScoredRows {
        let mut out = ScoredRows {
            start: vec![0],
            items: Vec::new(),
        };
        for r in rows {
            out.items.extend(r);
            out.start.push(out.items.len());
        }
        out
    }
}

/// Disjoint sets over rows.
#[derive(Debug, Clone)]
pub(crate) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    pub(crate) fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] as usize != x {
            let p = self.parent[x] as usize;
            self.parent[x] = self.parent[p];
            x = p;
        }
        x
    }

    /// Joins the sets of `a` and `b`; the smaller root becomes the root (deterministic).
    pub(crate) fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.parent[hi] = lo as u32;
        }
    }

    /// The sets of two or more members, each sorted, in order of their first member.
    pub(crate) fn clusters(&mut self) -> Vec<Vec<usize>> {
        let n = self.parent.len();
        let mut by_root: Vec<Vec<usize>> = vec![Vec::new(); n];
        for x in 0..n {
            let r = self.find(x);
            by_root[r].push(x);
        }
        let mut out: Vec<Vec<usize>> = by_root.into_iter().filter(|c| c.len() > 1).collect();
        out.sort_by_key(|c| c[0]);
        out
    }
}

/// Greedy one-to-one assignment. `cands[r]` are row r's candidates; `is_duplicate(row, taker,
/// p_row, p_taker)` is asked when the row's candidate is taken, with both rows' probabilities
/// of being that person. Returns, per row, the index of its assigned candidate, and the
/// (row, taker) pairs accepted as duplicates.
pub(crate) fn assign(
    cands: &ScoredRows,
    review_threshold: f64,
    n_other: usize,
    mut is_duplicate: impl FnMut(usize, usize, f64, f64) -> bool,
) -> (Vec<Option<usize>>, Vec<(usize, usize)>) {
    let mut order: Vec<(f64, u32, u32, u32)> = Vec::new();
    for r in 0..cands.rows() {
        for (k, c) in cands.row(r).iter().enumerate() {
            if c.probability >= review_threshold {
                order.push((c.weight, r as u32, c.other, k as u32));
            }
        }
    }
    order.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    // Who took each person, and with which candidate.
    let mut taken = vec![(u32::MAX, 0u32); n_other];
    let mut assigned: Vec<Option<usize>> = vec![None; cands.rows()];
    let mut duplicates = Vec::new();
    for (_, r, j, k) in order {
        let (r, j) = (r as usize, j as usize);
        if assigned[r].is_some() {
            continue;
        }
        match taken[j] {
            (u32::MAX, _) => {
                taken[j] = (r as u32, k);
                assigned[r] = Some(k as usize);
            }
            (t, tk) => {
                let t = t as usize;
                let p_row = cands.row(r)[k as usize].probability;
                let p_taker = cands.row(t)[tk as usize].probability;
                if is_duplicate(r, t, p_row, p_taker) {
                    assigned[r] = Some(k as usize);
                    duplicates.push((r, t));
                }
            }
        }
    }
    (assigned, duplicates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(weight: f64, probability: f64, other: u32) -> Scored {
        Scored {
            weight,
            probability,
            other,
        }
    }

    #[test]
    fn the_stronger_row_takes_the_person_and_the_other_moves_on() {
        let cands = vec![
            vec![s(20.0, 0.9, 0), s(10.0, 0.6, 1)],
            vec![s(30.0, 0.99, 0)],
            vec![s(5.0, 0.3, 2)],
        ];
        let (a, d) = assign(&ScoredRows::from_rows(cands), 0.5, 3, |_, _, _, _| false);
        assert_eq!(a, vec![Some(1), Some(0), None]);
        assert!(d.is_empty());
    }

    #[test]
    fn a_duplicate_keeps_the_person() {
        let cands = vec![vec![s(20.0, 0.9, 0)], vec![s(30.0, 0.99, 0)]];
        let (a, d) = assign(&ScoredRows::from_rows(cands), 0.5, 1, |r, t, p, q| {
            assert_eq!((p, q), (0.9, 0.99));
            (r, t) == (0, 1)
        });
        assert_eq!(a, vec![Some(0), Some(0)]);
        assert_eq!(d, vec![(0, 1)]);
    }

    #[test]
    fn ties_go_to_the_earlier_row() {
        let cands = vec![vec![s(20.0, 0.9, 0)], vec![s(20.0, 0.9, 0)]];
        let (a, _) = assign(&ScoredRows::from_rows(cands), 0.5, 1, |_, _, _, _| false);
        assert_eq!(a, vec![Some(0), None]);
    }

    #[test]
    fn clusters_are_connected_components() {
        let mut uf = UnionFind::new(7);
        uf.union(5, 2);
        uf.union(2, 6);
        uf.union(0, 3);
        assert_eq!(uf.clusters(), vec![vec![0, 3], vec![2, 5, 6]]);
        assert_eq!(uf.find(6), 2);
    }
}
