import Testing
@testable import Gates

@Test("Guide walkthrough (circuits guide) prints every worked example with the guide's numbers")
func walkthroughText() {
    let text = guideWalkthrough()

    for expected in [
        "forwardMultiplyGate(-2, 3) = -6.0",
        "out2 = forwardMultiplyGate(-1.9999, 3) = -5.9997",
        "x_derivative = 3.0", "y_derivative = -2.0",
        "x becomes -1.97, y becomes 2.98, out_new = -5.87",
        "q = 3.0, f = -12.0",
        "gradient_f_wrt_xyz = [-4.0, -4.0, 3.0]",
        "q = 2.92, f = -11.59",
        "circuit output: 0.8808",
        "a.grad = -0.105, b.grad = 0.315, c.grad = 0.105, x.grad = 0.105, y.grad = 0.210",
        "[1.2, 0.7] scores -1.2, label +1: pull 1.0",
        "training accuracy at iteration 0: 0.6666666666666666",
        "example 0: xi = (1.2,0.7) and label = 1",
        "  => cost computed to be 0.440", "  => cost computed to be 1.370", "  => cost computed to be 0.000",
        "regularization cost for current model is 0.005",
        "total cost is 1.815",
    ] {
        #expect(text.contains(expected), "walkthrough lacks: \(expected)")
    }
    // Every ninja expression's gradient check line reports a tiny error.
    let ninja = text.split(separator: "\n").filter { $0.contains("worst relative error") }
    #expect(ninja.count == 11)
    #expect(guideWalkthrough() == text, "seeded: the same text every run")
}
