//! Deterministic data parallelism on scoped threads: work is cut into fixed chunks whose
//! results come back in chunk order, so the output never depends on the number of threads.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The thread count to use: `requested`, or the machine's parallelism when 0.
pub(crate) fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    }
}

/// Runs `f` on the consecutive ranges of `chunk` items that cover `0..n`, on up to `threads`
/// threads (idle threads take the next chunk), and returns the results in range order.
pub(crate) fn chunks<T: Send>(
    n: usize,
    chunk: usize,
    threads: usize,
    f: impl Fn(Range<usize>) -> T + Sync,
) -> Vec<T> {
    let chunk = chunk.max(1);
    let count = n.div_ceil(chunk);
    let range = |c: usize| c * chunk..((c + 1) * chunk).min(n);
    if threads <= 1 || count <= 1 {
        return (0..count).map(|c| f(range(c))).collect();
    }
    let next = AtomicUsize::new(0);
    let mut parts: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.min(count))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        if c >= count {
                            break;
                        }
                        out.push((c, f(range(c))));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    parts.sort_unstable_by_key(|(c, _)| *c);
    parts.into_iter().map(|(_, t)| t).collect()
}

/// [`chunks`] with a scratch state per thread, made by `init` (e.g. a buffer the size of the
/// register, too big to allocate per chunk). The state must not change the results.
pub(crate) fn chunks_with<S, T: Send>(
    n: usize,
    chunk: usize,
    threads: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, Range<usize>) -> T + Sync,
) -> Vec<T> {
    let chunk = chunk.max(1);
    let count = n.div_ceil(chunk);
    let range = |c: usize| c * chunk..((c + 1) * chunk).min(n);
    if threads <= 1 || count <= 1 {
        let mut state = init();
        return (0..count).map(|c| f(&mut state, range(c))).collect();
    }
    let next = AtomicUsize::new(0);
    let mut parts: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.min(count))
            .map(|_| {
                s.spawn(|| {
                    let mut state = init();
                    let mut out = Vec::new();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        if c >= count {
                            break;
                        }
                        out.push((c, f(&mut state, range(c))));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    parts.sort_unstable_by_key(|(c, _)| *c);
    parts.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_order_whatever_the_threads() {
        for threads in [1, 2, 3, 8] {
            let out = chunks(1000, 7, threads, |r| r.map(|i| i * 2).collect::<Vec<_>>());
            let flat: Vec<usize> = out.into_iter().flatten().collect();
            assert_eq!(flat, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        }
        assert!(chunks(0, 10, 2, |r| r.len()).is_empty());
    }
}
