import Foundation
import Layers
import Tensor

extension TSNECommand {
    /// The activations of `saved`'s first `layer` layers on raw `features` — "what the network has
    /// learned" at that depth. The one place that touches the model API: it applies the model's saved
    /// preprocessing (`SavedModel.inputs`), switches the model to evaluation (`isTraining = false`, so
    /// dropout passes everything through), and runs `layers[0..<layer]` with `forward` on tape-free
    /// `Variable`s, in chunks of 4096 rows.
    /// - Throws: `CLIError.usage` for a layer beyond the model's depth; shape errors naming the file.
    static func layerActivations(_ saved: SavedModel, layer: Int, features: Tensor<Float>, dataFile: String) throws -> Tensor<Float> {
        let layers = saved.file.model.layers
        guard layer <= layers.count else {
            throw CLIError.usage("--layer \(layer) is beyond the model's \(layers.count) layers (0...\(layers.count))", command: name)
        }
        let x = try saved.inputs(features, file: dataFile)
        let model = saved.file.model
        let wasTraining = model.isTraining
        model.isTraining = false
        defer { model.isTraining = wasTraining }
        let n = x.shape[0]
        var out: [Float] = []
        var width = x.shape[1]
        var start = 0
        while start < n {
            let end = min(n, start + 4096)
            var h = Variable(try x.rows(start..<end), requiresGrad: false)
            for l in layers[0..<layer] { h = try l.forward(h) }
            width = h.value.shape.count == 2 ? h.value.shape[1] : h.value.count / (end - start)
            out += h.value.scalars
            start = end
        }
        return try Tensor<Float>(out, shape: [n, width])
    }
}
