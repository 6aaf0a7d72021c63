// swift-tools-version:5.9
// No package dependencies: Foundation, Dispatch and Glibc only (see README.md).
import PackageDescription

/// AVX2 + FMA for the numeric modules on x86-64: without it SIMD `addProduct` calls libm's
/// `fmaf` per lane (~45x slower). Other architectures take the portable path.
#if arch(x86_64)
let cpuSettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]
#else
let cpuSettings: [SwiftSetting] = []
#endif
/// The numeric modules are optimised in debug builds too: their tests run real models and
/// images (1,000 MNIST digits through the engine), which unoptimised code makes ~50x slower.
let vectorSettings: [SwiftSetting] = cpuSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "max-swift",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "max-server", targets: ["max-server"]),
    ],
    targets: [
        // Bottom layer: inflate/deflate, checksums, zip.
        .target(name: "Compression"),
        // Pixels: decoders, encoder, image operations. Knows nothing of HTTP or models.
        .target(name: "ImageCodecs", dependencies: ["Compression"], swiftSettings: vectorSettings),
        // Image analysis on decoded pixels: ink contrast, morphology, connected components,
        // drawing and a bitmap font. Knows nothing of models or HTTP.
        .target(name: "ImageProcessing", dependencies: ["ImageCodecs"], swiftSettings: vectorSettings),
        // The HDF5 file format. Knows nothing of Keras.
        .target(name: "HDF5", dependencies: ["Compression"]),
        // Tensors, kernels, layers, Keras model files. Knows nothing of HTTP.
        .target(name: "Keras", dependencies: ["HDF5", "Compression"], swiftSettings: vectorSettings),
        // Leveled, thread-safe logging shared by the server and the framework.
        .target(name: "Logging"),
        // HTTP/1.1 on POSIX sockets. Knows nothing of models.
        .target(name: "HTTPServer", dependencies: ["Logging"]),
        // The MAX skeleton: ModelWrapper, routes, OpenAPI, config, assets + MD5.
        .target(name: "MAXFramework", dependencies: ["HTTPServer", "Logging"]),
        // What image plugins share: the image file input and decoding uploads with limits.
        .target(name: "ImageInput", dependencies: ["MAXFramework", "ImageCodecs"]),
        // A small real plugin: statistics of an uploaded image.
        .target(name: "ImageStats", dependencies: ["MAXFramework", "ImageInput", "ImageCodecs"]),
        // The MNIST digit plugin: preprocessing and the Keras model behind MAX's routes.
        .target(name: "MNIST", dependencies: ["MAXFramework", "ImageInput", "ImageCodecs", "ImageProcessing", "Keras"], swiftSettings: vectorSettings),
        // Digits-Recognition's routes (/predictions, /probabilities, /annotations) from the MNIST plugin.
        .target(name: "DigitsRecognition", dependencies: ["MAXFramework", "MNIST", "ImageCodecs"]),
        // The executable: CLI, wires config and plugins.
        .executableTarget(
            name: "max-server",
            dependencies: ["MAXFramework", "ImageStats", "MNIST", "DigitsRecognition", "ImageCodecs", "HDF5", "Keras", "Logging"]),

        // Test helpers (no XCTest here): package root, ../shared corpus location.
        .target(name: "TestSupport", dependencies: ["Logging"], path: "Tests/TestSupport"),
        .testTarget(name: "CompressionTests", dependencies: ["Compression", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ImageProcessingTests", dependencies: ["ImageProcessing", "ImageCodecs"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KerasTests", dependencies: ["Keras", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LoggingTests", dependencies: ["Logging"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MAXFrameworkTests", dependencies: ["MAXFramework", "HTTPServer", "TestSupport"]),
        .testTarget(name: "ImageStatsTests", dependencies: ["ImageStats", "MAXFramework", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "MNISTTests",
            dependencies: ["MNIST", "DigitsRecognition", "MAXFramework", "HTTPServer", "ImageCodecs", "ImageProcessing", "Keras", "Compression", "TestSupport"],
            exclude: ["Fixtures"]),
    ]
)
