/// The numeric kernels, compiled once per CPU class (modules KernelsAVX512, KernelsAVX2 and
/// KernelsPortable, from the same sources in Sources/KernelSources). Callers never name a class:
/// they use `Kernels.selected` (module Kernels), chosen once at start-up, or `Kernels.set(for:)`
/// to run a given class (tests, benchmarks).
///
/// Conventions: matrices are row-major with an explicit leading dimension (the distance between
/// rows, in floats); images are NHWC, `batch` images one after another; all counts are in floats.
/// Kernels are single-threaded and re-entrant: run them from as many threads as you like on
/// disjoint outputs. Results of different classes agree to rounding (FMA, summation order), not
/// bit for bit.
public protocol KernelSet {
    /// The class this set was compiled for.
    static var cpu: CPUClass { get }

    // MARK: Matrix multiply

    /// Packs `rows` x `columns` weights for `gemm(rows:a:lda:b:...)` and `convolve`. `b` is read
    /// as B[k][n] = b[k * ldb + n], or with `transposed` as B[k][n] = b[n * ldb + k] (the
    /// weights of a layer stored out x in). `bias` holds `columns` values, or nil for none.
    static func pack(_ b: UnsafePointer<Float>, rows: Int, columns: Int, ldb: Int, transposed: Bool,
                     bias: UnsafePointer<Float>?) -> PackedMatrix

    /// C (m x b.columns) = epilogue(A (m x b.rows) * B + bias), or with `accumulate`
    /// epilogue(C + A * B + bias). The inference form: B packed once, A straight from memory.
    static func gemm(rows m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
                     c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue, accumulate: Bool)

    /// C (m x n) = op(A) * op(B), or C += op(A) * op(B) with `accumulate` (BLAS sgemm with
    /// alpha 1 and beta 0 or 1). op(A) is m x k: A[i][p] = a[i * lda + p], or with `transposeA`
    /// a[p * lda + i]. op(B) is k x n: B[p][j] = b[p * ldb + j], or with `transposeB`
    /// b[j * ldb + p]. The training form: a dense layer's forward pass is (X, W), its input
    /// gradient (dY, W transposed), its weight gradient (X transposed, dY) accumulated over a
    /// batch. Packs B on every call (O(k n), small beside the multiply's O(m k n)).
    static func gemm(m: Int, n: Int, k: Int,
                     a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                     b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                     c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool)

    /// C (m x b.columns) = Aᵀ * B, or C += Aᵀ * B with `accumulate`, B packed by `pack` (its bias
    /// is added: pack without one). A is stored b.rows x m, A[p][i] = a[p * lda + i], read in
    /// place; its rows may overlap (lda < m). The weight gradient of a layer whose output
    /// gradient is packed once and used by several multiplies (a convolution's kernel rows).
    static func gemm(transposedA a: UnsafePointer<Float>, m: Int, lda: Int, b: PackedMatrix,
                     c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool)

    // MARK: Convolution

    /// Floats of scratch `convolve` needs (unfolded receptive fields at the padded edges).
    static func convolutionScratchCount(_ plan: ConvolutionPlan) -> Int

    /// Conv2D: output (batch x outH x outW x out) = epilogue(input (batch x inH x inW x in)
    /// convolved with `weights` + bias), where `weights` packs the kernel as
    /// (kh x kw x in) x out, Keras's layout flattened. Computed as an implicit GEMM: receptive
    /// fields are read straight from the image except where padding cuts them.
    static func convolve(_ input: UnsafePointer<Float>, batch: Int, plan: ConvolutionPlan, weights: PackedMatrix,
                         output: UnsafeMutablePointer<Float>, epilogue: Epilogue, scratch: UnsafeMutablePointer<Float>)

    /// im2col: writes each output pixel's receptive field (kh x kw x in, zeros outside the
    /// image) as one row of `columns`, (batch x outH x outW) rows of `plan.patchLength`. With it
    /// a convolution's gradients are matrix multiplies: weights' = columns^T * dY, and
    /// columns' = dY * weights^T, folded back by `col2imAccumulate`.
    static func im2col(_ input: UnsafePointer<Float>, batch: Int, plan: ConvolutionPlan,
                       columns: UnsafeMutablePointer<Float>)

    /// The adjoint of `im2col`: adds every row of `columns` back onto the pixels its receptive
    /// field came from (padding taps are dropped). `image` (batch x inH x inW x in) is added to,
    /// not overwritten: zero it first for a plain input gradient.
    static func col2imAccumulate(_ columns: UnsafePointer<Float>, batch: Int, plan: ConvolutionPlan,
                                 image: UnsafeMutablePointer<Float>)

    /// DepthwiseConv2D: each input channel c filtered by its own `multiplier` kernels into output
    /// channels c * multiplier ..< (c + 1) * multiplier. `weights` is (kh x kw x in x multiplier)
    /// (Keras's layout), `bias` in x multiplier values (zeros for none).
    static func depthwiseConvolve(_ input: UnsafePointer<Float>, batch: Int, window: Window2D, channels: Int,
                                  multiplier: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                  output: UnsafeMutablePointer<Float>)

    // MARK: Pooling

    /// MaxPooling2D / AveragePooling2D over NHWC images; padded positions never win a max and
    /// are not counted in an average.
    static func pool(_ kind: PoolKind, _ input: UnsafePointer<Float>, batch: Int, window: Window2D, channels: Int,
                     output: UnsafeMutablePointer<Float>)

    /// The gradient of `pool`: adds each output gradient to the input pixel that won the max
    /// (the first in row-major order on ties, as TensorFlow), or spreads it evenly over the
    /// window's pixels for average. `input` is the forward pass's input (max only reads it);
    /// `inputGradient` is added to, not overwritten.
    static func poolGradient(_ kind: PoolKind, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                             batch: Int, window: Window2D, channels: Int,
                             inputGradient: UnsafeMutablePointer<Float>)

    // MARK: Image codecs

    /// JPEG's accurate integer inverse DCT (libjpeg-turbo's "islow", bit for bit) of `blocks`
    /// consecutive 8x8 blocks of quantised coefficients (natural order, 64 each), dequantised
    /// with `quantization` (64 steps, natural order); block i's samples go to output + 8 i,
    /// rows `stride` apart.
    static func inverseDCT(_ coefficients: UnsafePointer<Int16>, blocks: Int, quantization: UnsafePointer<Int32>,
                           output: UnsafeMutablePointer<UInt8>, stride: Int)

    /// JFIF YCbCr -> interleaved RGB for `count` pixels, in libjpeg-turbo's 16-bit fixed point.
    static func yCbCrToRGB(_ y: UnsafePointer<UInt8>, _ cb: UnsafePointer<UInt8>, _ cr: UnsafePointer<UInt8>,
                           count: Int, rgb: UnsafeMutablePointer<UInt8>)

    // MARK: Start-up

    /// Runs a small multiply-add workload with this class's widest instructions and checks the
    /// result; false if it is wrong. Run in a child process at selection to find out whether the
    /// CPU really executes the class (an emulator or hypervisor may report flags it lacks), so
    /// it touches only the stack: no allocation, no locks.
    static func selfTest() -> Bool
}
