// swift-tools-version: 6.0
// Circuits: neural-network classifiers trained fast on a CPU, built on OpenBLAS.
// Layout and dependency direction: ../shared/DESIGN.md (CBLAS → Tensor → Layers → CircuitsCLI,
// Datasets → Tensor, Gates stands alone).
import PackageDescription

let package = Package(
    name: "Circuits",
    products: [
        .library(name: "Gates", targets: ["Gates"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Word2Vec", targets: ["Word2Vec"]),
        .library(name: "TSNE", targets: ["TSNE"]),
        .executable(name: "circuits", targets: ["circuits"]),
        // Data-parallel training over MPI: a separate library so that users who do not need it never link Open MPI.
        .library(name: "Distributed", targets: ["Distributed"]),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CFFTW",
            pkgConfig: "fftw3f",
            providers: [.apt(["libfftw3-dev"])]
        ),
        .systemLibrary(
            name: "CMPI",
            path: "Sources/CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        .target(name: "Gates"),
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"]),
        // Plain C loops for the few kernels Swift will not vectorize (a square root per element).
        .target(name: "CKernels"),
        .target(name: "Layers", dependencies: ["Tensor", "CKernels"]),
        .target(name: "Datasets", dependencies: ["Tensor", "CZlib"]),
        // Word vectors (chapter 4): its own optimiser; its inner loop is a CKernels routine (AVX-512/AVX2 chosen at run time).
        .target(name: "Word2Vec", dependencies: ["CKernels"]),
        // t-SNE embeddings (exact, Barnes-Hut, FFT-interpolated): BLAS for the neighbour search and PCA, FFTW for the grid.
        .target(name: "TSNE", dependencies: ["Tensor", "CFFTW"]),
        .target(name: "CircuitsCLI", dependencies: ["Gates", "Tensor", "Layers", "Datasets", "Distributed", "Word2Vec", "TSNE"]),
        .executableTarget(name: "circuits", dependencies: ["CircuitsCLI"]),
        .target(name: "Distributed", dependencies: ["Layers", "CMPI"]),
        .executableTarget(
            name: "CircuitsBench",
            dependencies: ["Gates", "Tensor", "Layers", "Datasets", "CBLAS", "Word2Vec"],
            path: "Benchmarks/CircuitsBench"
        ),
        .testTarget(name: "GatesTests", dependencies: ["Gates"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CBLAS"]),
        .testTarget(
            name: "LayersTests", dependencies: ["Layers", "Tensor", "Gates", "Datasets"],
            exclude: ["Fixtures", "Regressions", "Reference"]
        ),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensor", "Layers"], exclude: ["Regressions"]),
        .testTarget(name: "CircuitsCLITests", dependencies: ["CircuitsCLI", "Layers", "Datasets"], exclude: ["Fixtures"]),
        .testTarget(name: "TSNETests", dependencies: ["TSNE", "Tensor"], exclude: ["Fixtures"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Layers", "Datasets"]),
        .testTarget(name: "Word2VecTests", dependencies: ["Word2Vec", "CKernels"]),
    ]
)
