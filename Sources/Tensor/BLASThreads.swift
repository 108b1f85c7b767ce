import CBLAS

/// The BLAS library behind `Tensor`: thread count and build description.
///
/// OpenBLAS threads hurt small matrices and make sums order-dependent; one thread gives bit-reproducible
/// results run to run.
public enum BLAS {
    /// Number of threads OpenBLAS uses for level-3 calls. Setting it calls `openblas_set_num_threads`.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(clamping: max(1, newValue))) }
    }

    /// OpenBLAS's build configuration string (version, options, target core).
    public static var configuration: String {
        guard let c = openblas_get_config() else { return "unknown" }
        return String(cString: c)
    }

    /// The CPU core type OpenBLAS selected its kernels for (e.g. "Haswell", "SkylakeX").
    public static var coreName: String {
        guard let c = openblas_get_corename() else { return "unknown" }
        return String(cString: c)
    }
}
