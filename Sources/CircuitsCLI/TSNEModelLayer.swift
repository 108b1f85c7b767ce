import Foundation
import Layers
import Tensor

extension TSNECommand {
    /// The activations of `saved`'s first `layer` layers on raw `features` — "what the network has
    /// learned" at that depth: the model's saved preprocessing (`SavedModel.inputs`), then
    /// `Sequential.activations(_:throughLayer:)` (evaluation mode, in chunks), flattened to one row per
    /// example (a convolution's maps become C·H·W columns).
    /// - Throws: `CLIError.usage` for a layer beyond the model's depth; shape errors naming the file.
    static func layerActivations(_ saved: SavedModel, layer: Int, features: Tensor<Float>, dataFile: String) throws -> Tensor<Float> {
        let model = saved.file.model
        guard layer <= model.layers.count else {
            throw CLIError.usage("--layer \(layer) is beyond the model's \(model.layers.count) layers (0...\(model.layers.count))", command: name)
        }
        let h = try model.activations(try saved.inputs(features, file: dataFile), throughLayer: layer, batchSize: 4096)
        return try h.reshaped([h.shape[0], h.shape[0] == 0 ? 0 : h.count / h.shape[0]])
    }
}
