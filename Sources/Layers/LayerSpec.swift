import Foundation
import Synchronization

/// The configuration of one kind of layer: what a model file stores for it, and how to build it.
///
/// Each layer kind has one configuration type, registered under `kind` in `LayerRegistry`. It is
/// `Codable` (model files store it as JSON), knows the layer's output shape for an input shape (so a
/// model's shapes are inferred and checked when it is built), and builds the layer.
public protocol LayerConfiguration: Codable, Sendable, CustomStringConvertible {
    /// The registry's name for this kind ("dense", "activation", "dropout", …).
    static var kind: String { get }
    /// The output shape for a per-example input shape.
    /// - Throws: `LayerError.incompatibleInput` naming what the layer expected.
    func outputShape(for input: [Int]) throws -> [Int]
    /// Builds the layer for inputs of `inputShape`, drawing initial weights (and seeds of its own
    /// generators) from `context.rng` in a fixed order.
    func makeLayer<Scalar: BLASScalar>(inputShape: [Int], context: inout LayerBuildContext) throws -> any Layer<Scalar>
    /// A short description for an input shape ("Dense(784→256)"); the default is `description`.
    func summary(input: [Int]) -> String
    /// Scalars in the layer's parameters (weights and biases, not running statistics) for inputs of
    /// `input`, or nil when the count overflows `Int`. Model files are checked with it before any layer
    /// is allocated (a file's architecture must not claim more weights than the file stores).
    func parameterCount(for input: [Int]) -> Int?
    /// The layer's entries in the gradient-check catalogue (run by the tests and `circuits gradcheck`).
    static var gradientChecks: [GradientCheckCase] { get }
}

extension LayerConfiguration {
    public func summary(input: [Int]) -> String { description }
    public func parameterCount(for input: [Int]) -> Int? { 0 }
    public static var gradientChecks: [GradientCheckCase] { [] }
}

/// The product of `factors` plus `extra`, or nil when it overflows `Int` (a parameter count).
public func checkedCount(_ factors: [Int], plus extra: Int = 0) -> Int? {
    var p = 1
    for f in factors {
        let (r, overflow) = p.multipliedReportingOverflow(by: f)
        guard !overflow else { return nil }
        p = r
    }
    let (r, overflow) = p.addingReportingOverflow(extra)
    return overflow ? nil : r
}

/// What building a layer draws on: the generator for initial weights and seeds, and the weight
/// initializer of layers that have weights.
public struct LayerBuildContext {
    public var rng: SeededRNG
    public var initializer: Initializer

    public init(rng: SeededRNG, initializer: Initializer = .he) {
        self.rng = rng
        self.initializer = initializer
    }
}

/// One layer of an architecture: a registered kind and its configuration.
///
/// Encoded as `{"kind": "dense", "config": {"outputs": 256, "bias": true}}`; decoding looks the kind up in
/// `LayerRegistry`. Two specs are equal when their kinds and encoded configurations are.
public struct LayerSpec: Codable, Sendable, Equatable, CustomStringConvertible {
    public let configuration: any LayerConfiguration

    public init(_ configuration: some LayerConfiguration) { self.configuration = configuration }

    /// The registry's name of this layer's kind.
    public var kind: String { type(of: configuration).kind }
    public var description: String { configuration.description }

    enum CodingKeys: String, CodingKey { case kind, config }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        let type = try LayerRegistry.configurationType(kind: kind)
        configuration = try type.init(from: try container.superDecoder(forKey: .config))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try configuration.encode(to: container.superEncoder(forKey: .config))
    }

    public static func == (a: LayerSpec, b: LayerSpec) -> Bool {
        guard a.kind == b.kind else { return false }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(a)) == (try? encoder.encode(b))
    }
}

/// Kind names → configuration types: how model files, checkpoints, `--model` and `Distributed` turn a
/// stored architecture back into layers. The built-in layers are listed in `builtIn`; code outside the
/// package adds its own with `register`.
public enum LayerRegistry {
    /// The layers this package defines. A new layer adds its configuration type here.
    public static let builtIn: [any LayerConfiguration.Type] = [
        DenseConfiguration.self,
        ActivationConfiguration.self,
        DropoutConfiguration.self,
        FlattenConfiguration.self,
        Conv2DConfiguration.self,
        MaxPool2DConfiguration.self,
        AvgPool2DConfiguration.self,
        GlobalAveragePoolConfiguration.self,
        BatchNormConfiguration.self,
        RecurrentConfiguration.self,
        EmbeddingConfiguration.self,
        RowsAsStepsConfiguration.self,
    ]

    private static let table = Mutex<[String: any LayerConfiguration.Type]>(
        Dictionary(uniqueKeysWithValues: builtIn.map { ($0.kind, $0) }))

    /// Adds (or replaces) a kind, so model files naming it can be read.
    public static func register(_ type: any LayerConfiguration.Type) {
        table.withLock { $0[type.kind] = type }
    }

    /// Every registered kind, sorted.
    public static var kinds: [String] { table.withLock { $0.keys.sorted() } }

    /// The configuration type registered under `kind`.
    /// - Throws: `LayerError.unknownKind` listing the known kinds.
    public static func configurationType(kind: String) throws -> any LayerConfiguration.Type {
        guard let type = table.withLock({ $0[kind] }) else { throw LayerError.unknownKind(kind, known: kinds) }
        return type
    }
}
