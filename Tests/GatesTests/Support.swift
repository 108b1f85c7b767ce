import Gates

private func powerOfTen(_ digits: Int) -> Double {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    return scale
}

/// `x` rounded to `digits` decimals, to compare with the numbers the guide prints.
func rounded(_ x: Double, _ digits: Int) -> Double {
    (x * powerOfTen(digits)).rounded() / powerOfTen(digits)
}

/// `x` cut after `digits` decimals: a few of the guide's numbers are truncated rather than rounded
/// (sig(−5) = 0.0067 printed as 0.006, 0.882550 printed as 0.8825).
func truncated(_ x: Double, _ digits: Int) -> Double {
    (x * powerOfTen(digits)).rounded(.towardZero) / powerOfTen(digits)
}

/// True when every pair is within `tolerance`.
func allClose(_ a: [Double], _ b: [Double], tolerance: Double) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
}

/// Largest absolute difference between two equally shaped arrays of arrays.
func maxAbsDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
    precondition(a.count == b.count)
    var worst = 0.0
    for (x, y) in zip(a, b) {
        precondition(x.count == y.count)
        for (u, v) in zip(x, y) { worst = max(worst, abs(u - v)) }
    }
    return worst
}
