/// Levenshtein distance: the fewest single-character insertions, deletions and substitutions that turn
/// `a` into `b`. Used to suggest the option or command a user probably meant.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    // One row of the dynamic-programming table at a time.
    var previous = Array(0...y.count)
    var current = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
        }
        swap(&previous, &current)
    }
    return previous[y.count]
}

/// The candidate closest to `word` by edit distance (ties: the first listed), or nil when even the
/// closest needs more edits than half its length — a suggestion that far off would only confuse.
func closest(to word: String, among candidates: [String]) -> String? {
    var best: (name: String, distance: Int)? = nil
    for c in candidates {
        let d = editDistance(word, c)
        if best == nil || d < best!.distance { best = (c, d) }
    }
    guard let best, best.distance <= max(2, best.name.count / 2) else { return nil }
    return best.name
}
