/// The data sets printed in chapter 2 of the guide, exactly as its code pushes them.
public enum GuideData {
    /// The six 2-D points the SVM and the 2-layer net are trained on (`data.push(...)` in the guide).
    public static let points: [[Double]] = [
        [1.2, 0.7], [-0.3, -0.5], [3.0, 0.1], [-0.1, -1.0], [-1.0, 1.1], [2.1, -3],
    ]
    /// Their labels, +1 or −1.
    public static let labels: [Int] = [1, -1, 1, -1, -1, 1]

    /// The three points of the loss-function example ("A more Conventional Approach").
    public static let costPoints: [[Double]] = [[1.2, 0.7], [-0.3, 0.5], [3, 2.5]]
    /// Their labels.
    public static let costLabels: [Int] = [1, -1, 1]
    /// The example weights `w = [0.1, 0.2, 0.3]` (w₂ is the bias).
    public static let costWeights: [Double] = [0.1, 0.2, 0.3]
    /// The example regularization strength `alpha = 0.1`.
    public static let costAlpha = 0.1
}
