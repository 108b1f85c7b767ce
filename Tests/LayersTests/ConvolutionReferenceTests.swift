import Foundation
import Testing
@testable import Layers
import Tensor

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The convolutional ops against PyTorch: forward values and gradients for the inputs, weights, bias, γ
/// and β, and the running statistics after a training-mode batch norm, from the fixtures that
/// scripts/make_conv_fixtures.py wrote with PyTorch (float64 references of float32 inputs). Our Float
/// results must agree to 1e-5 relative (see `worstRelativeError`).
@Suite("Convolutional ops match PyTorch")
struct ConvolutionReferenceTests {
    static let tolerance: Float = 1e-5

    /// Reads a fixture file and the JSON geometry of each case from its metadata.
    struct Fixture {
        let file: SafeTensorsFile
        func tensor(_ name: String) throws -> Tensor<Float> {
            guard let t = file[name]?.tensor(as: Float.self) else { throw FixtureError.missing(name) }
            return t
        }
        func geometry(_ name: String) throws -> [String: Any] {
            guard let text = file.metadata[name], let data = text.data(using: .utf8),
                  let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw FixtureError.missing(name) }
            return object
        }
        var cases: [String] {
            file.metadata.keys.filter { $0 != "generator" }.sorted()
        }
        init(_ name: String) throws { file = try SafeTensorsFile.read(from: fixtures.appendingPathComponent(name)) }
    }

    enum FixtureError: Error { case missing(String) }

    /// max over elements of |ours − torch| / (|torch| + max|torch|): relative to the element and to the
    /// tensor's scale (numpy's `allclose` with rtol = atol/scale). An element that cancels to ~0 in a sum
    /// of Float terms keeps the rounding of its terms, ~1e-7 of the scale, which no measure relative to
    /// the element alone accepts; an indexing or formula error moves elements by the scale itself.
    func worstRelativeError(_ ours: Tensor<Float>?, _ reference: Tensor<Float>) -> Float {
        guard let ours, ours.shape == reference.shape else { return .infinity }
        let r = reference.scalars, o = ours.scalars
        let scale = r.map { Swift.abs($0) }.max() ?? 0
        var worst: Float = 0
        for i in r.indices {
            let e = Swift.abs(o[i] - r[i]) / Swift.max(Swift.abs(r[i]) + scale, .leastNormalMagnitude)
            worst = Swift.max(worst, e.isNaN ? .infinity : e)
        }
        return worst
    }

    func expectClose(_ ours: Tensor<Float>?, _ reference: Tensor<Float>, _ what: String) {
        let e = worstRelativeError(ours, reference)
        #expect(e <= Self.tolerance, "\(what): worst relative error \(e) (shapes \(ours?.shape ?? []) and \(reference.shape))")
    }

    func pair(_ a: Any?) -> [Int] { (a as? [NSNumber])?.map(\.intValue) ?? [] }

    @Test("conv2d forward and gradients", arguments: try! Fixture("conv2d.safetensors").cases)
    func conv2D(name: String) throws {
        let f = try Fixture("conv2d.safetensors")
        let g = try f.geometry(name)
        let (stride, padding, dilation) = (pair(g["stride"]), pair(g["padding"]), pair(g["dilation"]))
        let hasBias = g["bias"] as? Bool ?? false
        let tape = Tape<Float>()
        let x = tape.variable(try f.tensor("\(name).x"))
        let w = Variable(try f.tensor("\(name).weight"))
        let b = hasBias ? Variable(try f.tensor("\(name).bias")) : nil
        let y = try x.conv2D(weight: w, bias: b, stride: Size2D(height: stride[0], width: stride[1]),
                             padding: Padding2D(top: padding[0], bottom: padding[1], left: padding[2], right: padding[3]),
                             dilation: Size2D(height: dilation[0], width: dilation[1]))
        try tape.backward(y, seed: try f.tensor("\(name).dy"))
        expectClose(y.value, try f.tensor("\(name).y"), "\(name) y")
        expectClose(x.grad, try f.tensor("\(name).dx"), "\(name) dx")
        expectClose(w.grad, try f.tensor("\(name).dweight"), "\(name) dweight")
        if let b { expectClose(b.grad, try f.tensor("\(name).dbias"), "\(name) dbias") }
        // The plain Tensor path gives the same forward.
        let plain = try Tensor.conv2D(x.value, weight: w.value, bias: b?.value, stride: Size2D(height: stride[0], width: stride[1]),
                                      padding: Padding2D(top: padding[0], bottom: padding[1], left: padding[2], right: padding[3]),
                                      dilation: Size2D(height: dilation[0], width: dilation[1]))
        #expect(plain == y.value)
    }

    @Test("A first layer's input needs no gradient: dW and db as PyTorch, no dX")
    func firstLayer() throws {
        let f = try Fixture("conv2d.safetensors")
        let tape = Tape<Float>()
        let x = tape.constant(try f.tensor("first_layer.x"))
        let w = Variable(try f.tensor("first_layer.weight")), b = Variable(try f.tensor("first_layer.bias"))
        let y = try x.conv2D(weight: w, bias: b, padding: 1)
        try tape.backward(y, seed: try f.tensor("first_layer.dy"))
        #expect(x.grad == nil)
        expectClose(w.grad, try f.tensor("first_layer.dweight"), "first layer dweight")
        expectClose(b.grad, try f.tensor("first_layer.dbias"), "first layer dbias")
    }

    @Test("max_pool2d, avg_pool2d and global average pooling", arguments: try! Fixture("pooling.safetensors").cases)
    func pooling(name: String) throws {
        let f = try Fixture("pooling.safetensors")
        let g = try f.geometry(name)
        let (kernel, stride, padding, dilation) = (pair(g["kernel"]), pair(g["stride"]), pair(g["padding"]), pair(g["dilation"]))
        let tape = Tape<Float>()
        let x = tape.variable(try f.tensor("\(name).x"))
        let k = Size2D(height: kernel[0], width: kernel[1]), s = Size2D(height: stride[0], width: stride[1])
        let p = Padding2D(height: padding[0], width: padding[1])
        let y: Variable<Float>
        switch g["kind"] as? String {
        case "max": y = try x.maxPool2D(kernel: k, stride: s, padding: p, dilation: Size2D(height: dilation[0], width: dilation[1]))
        case "avg": y = try x.avgPool2D(kernel: k, stride: s, padding: p)
        default: y = try x.globalAveragePool()
        }
        try tape.backward(y, seed: try f.tensor("\(name).dy"))
        expectClose(y.value, try f.tensor("\(name).y"), "\(name) y")
        expectClose(x.grad, try f.tensor("\(name).dx"), "\(name) dx")
    }

    @Test("batch_norm in training and evaluation mode", arguments: try! Fixture("batchnorm.safetensors").cases)
    func batchNorm(name: String) throws {
        let f = try Fixture("batchnorm.safetensors")
        let training = try f.geometry(name)["training"] as? Bool ?? false
        var statistics = try BatchNormStatistics(runningMean: try f.tensor("\(name).running_mean"),
                                                 runningVariance: try f.tensor("\(name).running_var"))
        let tape = Tape<Float>()
        let x = tape.variable(try f.tensor("\(name).x"))
        let gamma = Variable(try f.tensor("\(name).gamma")), beta = Variable(try f.tensor("\(name).beta"))
        let y = try x.batchNorm(scale: gamma, shift: beta, statistics: &statistics, training: training)
        try tape.backward(y, seed: try f.tensor("\(name).dy"))
        expectClose(y.value, try f.tensor("\(name).y"), "\(name) y")
        expectClose(x.grad, try f.tensor("\(name).dx"), "\(name) dx")
        expectClose(gamma.grad, try f.tensor("\(name).dgamma"), "\(name) dgamma")
        expectClose(beta.grad, try f.tensor("\(name).dbeta"), "\(name) dbeta")
        expectClose(statistics.runningMean, try f.tensor("\(name).running_mean_after"), "\(name) running mean")
        expectClose(statistics.runningVariance, try f.tensor("\(name).running_var_after"), "\(name) running variance")
        if !training {
            // Evaluation mode through the plain Tensor path gives the same numbers.
            let plain = try Tensor.batchNorm(x.value, scale: gamma.value, shift: beta.value, statistics: statistics)
            expectClose(plain, try f.tensor("\(name).y"), "\(name) y (Tensor.batchNorm)")
        }
    }
}
