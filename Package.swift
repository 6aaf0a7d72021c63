// swift-tools-version:5.9
// No package dependencies: Foundation, Dispatch and Glibc only (see README.md).
import PackageDescription

/// The numeric modules are optimised in debug builds too: their tests run real models and
/// images (1,000 MNIST digits through the engine), which unoptimised code makes ~50x slower.
let vectorSettings: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

/// Every module is built for the architecture's baseline, so the binary runs on any x86-64 (or
/// arm64) CPU. The kernels alone (Sources/KernelSources, symlinked into one folder per class) are
/// compiled once per CPU class with that class's instructions; module Kernels picks one at
/// start-up. The flags go to Clang's importer, from which Swift takes its target features.
struct KernelClass {
    let target: String
    let settings: [SwiftSetting]
}
#if arch(x86_64)
let kernelClasses = [
    KernelClass(target: "KernelsAVX512", settings: [.define("KERNELS_AVX512"), .unsafeFlags(["-Xcc", "-march=x86-64-v4"])]),
    KernelClass(target: "KernelsAVX2", settings: [.define("KERNELS_AVX2"), .unsafeFlags(["-Xcc", "-march=x86-64-v3"])]),
    KernelClass(target: "KernelsPortable", settings: []),
]
#else
let kernelClasses = [KernelClass(target: "KernelsPortable", settings: [])]
#endif
let kernelTargets: [Target] = kernelClasses.map {
    .target(name: $0.target, dependencies: ["KernelInterface"], swiftSettings: $0.settings + vectorSettings)
}

let package = Package(
    name: "max-swift",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "max-server", targets: ["max-server"]),
    ],
    targets: kernelTargets + [
        // Bottom layer: inflate/deflate, checksums, zip.
        .target(name: "Compression"),
        // The kernels' interface (protocol KernelSet, packed weights, window geometry), and the
        // module that picks a compiled set for this CPU (MAX_CPU overrides).
        .target(name: "KernelInterface", swiftSettings: vectorSettings),
        .target(name: "Kernels", dependencies: ["KernelInterface"] + kernelClasses.map { .target(name: $0.target) }),
        // Pixels: decoders, encoder, image operations. Knows nothing of HTTP or models.
        // Modules using the kernels name KernelInterface too, though Kernels re-exports it: SwiftPM
        // rebuilds a module when a direct dependency changes, and these embed its types' layouts.
        .target(name: "ImageCodecs", dependencies: ["Compression", "Kernels", "KernelInterface"], swiftSettings: vectorSettings),
        // Image analysis on decoded pixels: ink contrast, morphology, connected components,
        // drawing and a bitmap font. Knows nothing of models or HTTP.
        .target(name: "ImageProcessing", dependencies: ["ImageCodecs"], swiftSettings: vectorSettings),
        // The HDF5 file format. Knows nothing of Keras.
        .target(name: "HDF5", dependencies: ["Compression"]),
        // Tensors, kernels, layers, Keras model files. Knows nothing of HTTP.
        .target(name: "Keras", dependencies: ["HDF5", "Compression", "Kernels", "KernelInterface"], swiftSettings: vectorSettings),
        // Labelled image sets for training: Kaggle CSV, MNIST IDX, Keras .npz, TFRecord; split, augmentation.
        .target(name: "Datasets", dependencies: ["Compression", "ImageCodecs"], swiftSettings: vectorSettings),
        // Training Keras models: backward passes, losses, optimizers, the loop. Knows nothing of HTTP.
        .target(name: "Training", dependencies: ["Keras", "Kernels", "KernelInterface", "HDF5", "Datasets"], swiftSettings: vectorSettings),
        // Training behind HTTP and the CLI: Imagia's train routes, jobs, responses.
        .target(name: "TrainingService", dependencies: ["MAXFramework", "HTTPServer", "Logging", "Metrics", "Training", "Datasets", "Keras"]),
        // Leveled, thread-safe logging shared by the server and the framework.
        .target(name: "Logging"),
        // Prometheus metrics: counters, gauges, histograms, the text format, process figures.
        .target(name: "Metrics"),
        // HTTP/1.1 on POSIX sockets. Knows nothing of models.
        .target(name: "HTTPServer", dependencies: ["Logging"]),
        // The pages for people (docs page, demo app): our own HTML, CSS and JavaScript under
        // Sources/WebPages/web, compiled into the binary. Knows nothing of HTTP.
        .target(name: "WebPages", resources: [
            .embedInCode("web/docs.html"), .embedInCode("web/app.html"), .embedInCode("web/style.css"),
            .embedInCode("web/common.js"), .embedInCode("web/docs.js"), .embedInCode("web/app.js"),
            .embedInCode("web/icon.svg"),
        ]),
        // The MAX skeleton: ModelWrapper, routes, OpenAPI, config, assets + MD5.
        .target(name: "MAXFramework", dependencies: ["HTTPServer", "Logging", "Metrics", "WebPages"]),
        // What image plugins share: the image file input and decoding uploads with limits.
        .target(name: "ImageInput", dependencies: ["MAXFramework", "ImageCodecs"]),
        // The Open Inference Protocol (KServe v2, Triton) for every served model.
        .target(name: "KServe", dependencies: ["MAXFramework"]),
        // The contracts of the digit services users come from: Kaggle rows and CSV, the engine's /compute.
        .target(name: "DigitServices", dependencies: ["MAXFramework", "Logging"]),
        // A plugin that takes JSON, not images: logistic regression over named features.
        .target(name: "LogisticRegression", dependencies: ["MAXFramework"]),
        // A small real plugin: statistics of an uploaded image.
        .target(name: "ImageStats", dependencies: ["MAXFramework", "ImageInput", "ImageCodecs"]),
        // The no-code plugin: any Keras image classifier, configured in config.json alone.
        .target(name: "KerasClassifier", dependencies: ["MAXFramework", "ImageInput", "ImageCodecs", "Keras"]),
        // The MNIST digit plugin: preprocessing and the Keras model behind MAX's routes.
        .target(name: "MNIST", dependencies: ["MAXFramework", "ImageInput", "ImageCodecs", "ImageProcessing", "Keras"], swiftSettings: vectorSettings),
        // Digits-Recognition's routes (/predictions, /probabilities, /annotations) from the MNIST plugin.
        .target(name: "DigitsRecognition", dependencies: ["MAXFramework", "MNIST", "ImageCodecs"]),
        // The executable: CLI, wires config and plugins.
        .executableTarget(
            name: "max-server",
            dependencies: ["MAXFramework", "KServe", "DigitServices", "ImageStats", "KerasClassifier", "LogisticRegression", "MNIST",
                           "DigitsRecognition", "ImageCodecs", "HDF5", "Keras", "Logging", "Datasets", "Training", "TrainingService"]),

        // Test helpers (no XCTest here): package root, ../shared corpus location.
        .target(name: "TestSupport", dependencies: ["Logging"], path: "Tests/TestSupport"),
        .testTarget(name: "CompressionTests", dependencies: ["Compression", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "KernelInterface", "TestSupport"], swiftSettings: vectorSettings),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ImageProcessingTests", dependencies: ["ImageProcessing", "ImageCodecs", "TestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KerasTests", dependencies: ["Keras", "Kernels", "KernelInterface", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Compression", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Keras", "Kernels", "KernelInterface", "HDF5", "Datasets", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LoggingTests", dependencies: ["Logging"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "KServeTests", dependencies: ["KServe", "MAXFramework", "TestSupport"]),
        .testTarget(name: "DigitServicesTests", dependencies: ["DigitServices", "MAXFramework", "HTTPServer", "Logging", "TestSupport"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MAXFrameworkTests", dependencies: ["MAXFramework", "HTTPServer", "TestSupport"]),
        .testTarget(name: "KerasClassifierTests", dependencies: ["KerasClassifier", "MAXFramework", "ImageCodecs", "Keras", "TestSupport"],
                    exclude: ["Fixtures"]),
        // The built max-server binary run as a child process (it must be built: `swift build`).
        .testTarget(name: "TrainingServiceTests", dependencies: ["TrainingService", "MNIST", "MAXFramework", "HTTPServer", "TestSupport"]),
        .testTarget(name: "MaxServerTests", dependencies: ["MAXFramework", "Keras", "Datasets", "Compression", "TestSupport"]),
        .testTarget(name: "LogisticRegressionTests", dependencies: ["LogisticRegression", "MAXFramework", "TestSupport"]),
        .testTarget(name: "ImageStatsTests", dependencies: ["ImageStats", "ImageInput", "ImageCodecs", "MAXFramework", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(
            name: "MNISTTests",
            dependencies: ["MNIST", "DigitsRecognition", "MAXFramework", "HTTPServer", "ImageCodecs", "ImageProcessing", "Keras", "Compression", "TestSupport"],
            exclude: ["Fixtures"]),
    ]
)
