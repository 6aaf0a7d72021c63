import Datasets
import Foundation
import Keras
import Kernels
import XCTest
@testable import Training

/// Every layer's backward pass against central finite differences of the loss, for every
/// parameter (a sample of elements of each) and for the input.
final class GradientTests: XCTestCase {
    /// Compares analytic gradients with (L(w + h) - L(w - h)) / 2h, in double-checked float32.
    func checkGradients(_ configuration: [UInt8], inputShape: [Int], batch: Int, classes: Int, threads: Int = 2,
                        tolerance: Double = 2e-3, step: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line) throws {
        for cpu in Kernels.runnable {
            try checkGradients(configuration, inputShape: inputShape, batch: batch, classes: classes, threads: threads,
                               tolerance: tolerance, step: step, kernels: Kernels.set(for: cpu)!, file: file, line: line)
        }
    }

    func checkGradients(_ configuration: [UInt8], inputShape: [Int], batch: Int, classes: Int, threads: Int, tolerance: Double,
                        step: Float, kernels: any KernelSet.Type, file: StaticString, line: UInt) throws {
        let network = try Network(configuration: configuration, weights: nil, seed: 3, kernels: kernels)
        var settings = TrainingConfiguration()
        settings.threads = threads
        settings.seed = 11
        let trainer = try Trainer(network: network, configuration: settings)
        let input = randomValues(batch * inputShape.reduce(1, *), seed: 5, low: 0, high: 1)
        let labels = (0..<batch).map { $0 % classes }
        _ = trainer.loss(input, labels: labels)
        var checked = 0
        for layer in network.layers {
          for parameter in layer.parameters where parameter.trainable {
            let analytic = parameter.gradient.array
            let indices = stride(from: 0, to: parameter.count, by: max(1, parameter.count / 12)).map { $0 }
            for index in indices {
                let original = parameter.value.pointer[index]
                parameter.value.pointer[index] = original + step
                let plus = trainer.loss(input, labels: labels)
                parameter.value.pointer[index] = original - step
                let minus = trainer.loss(input, labels: labels)
                parameter.value.pointer[index] = original
                let numeric = (plus - minus) / Double(2 * step)
                let difference = abs(numeric - Double(analytic[index]))
                XCTAssert(difference <= tolerance * max(1, abs(numeric)) + 1e-4,
                          "\(kernels.cpu) \(layer.name) \(parameter.name)[\(index)]: backward gives \(analytic[index]), finite differences \(numeric)",
                          file: file, line: line)
                checked += 1
            }
          }
        }
        XCTAssertGreaterThan(checked, 10, file: file, line: line)
    }

    func testDenseStack() throws {
        try checkGradients(sequential([6], [
            ("Dense", ["units": 5, "activation": "tanh"]),
            ("Dense", ["units": 4, "activation": "sigmoid"]),
            ("Dense", ["units": 3, "activation": "softmax"]),
        ]), inputShape: [6], batch: 5, classes: 3)
    }

    func testConvolutionsPoolingAndBatchNormalization() throws {
        try checkGradients(sequential([9, 9, 2], [
            ("Rescaling", ["scale": 2.0, "offset": -1.0]),
            ("Conv2D", ["filters": 3, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "tanh"]),
            ("BatchNormalization", ["momentum": 0.9]),
            ("Conv2D", ["filters": 4, "kernel_size": [2, 2], "padding": "valid", "activation": "elu"]),
            ("MaxPooling2D", ["pool_size": [2, 2], "padding": "same"]),
            ("AveragePooling2D", ["pool_size": [2, 2], "strides": [1, 1], "padding": "same"]),
            ("Flatten", [:]),
            ("Dense", ["units": 6, "activation": "swish"]),
            ("BatchNormalization", ["epsilon": 0.01]),
            ("Dropout", ["rate": 0.3]),
            ("Dense", ["units": 4, "activation": "softmax"]),
        ]), inputShape: [9, 9, 2], batch: 6, classes: 4, step: 1e-3)
    }

    func testDilationActivationsAndSeparateSoftmax() throws {
        try checkGradients(sequential([8, 7, 1], [
            ("Conv2D", ["filters": 3, "kernel_size": [3, 2], "dilation_rate": [2, 1], "activation": "gelu", "use_bias": false]),
            ("Activation", ["activation": "softplus"]),
            ("Conv2D", ["filters": 4, "kernel_size": [3, 3], "padding": "same", "activation": "tanh"]),
            ("Conv2D", ["filters": 3, "kernel_size": [2, 3], "dilation_rate": [1, 2], "padding": "same", "activation": "sigmoid"]),
            ("Conv2D", ["filters": 2, "kernel_size": [2, 2], "strides": [1, 2], "padding": "valid", "activation": "tanh"]),
            ("Conv2D", ["filters": 2, "kernel_size": [1, 1], "activation": "selu"]),
            ("Reshape", ["target_shape": [-1]]),
            ("Dense", ["units": 5, "activation": "softsign"]),
            ("BatchNormalization", ["center": false, "scale": true]),
            ("Dense", ["units": 3]),
            ("Activation", ["activation": "softmax"]),
        ]), inputShape: [8, 9, 1], batch: 4, classes: 3, step: 1e-3)
    }

    /// ReLU and max pooling have kinks; with random inputs the finite differences straddle one
    /// rarely, and the small step keeps that rarer still.
    func testReLUAndOneThread() throws {
        try checkGradients(sequential([6, 6, 1], [
            ("Conv2D", ["filters": 4, "kernel_size": [3, 3], "activation": "relu", "kernel_initializer": "he_normal"]),
            ("MaxPooling2D", ["pool_size": [2, 2]]),
            ("Flatten", [:]),
            ("Dense", ["units": 8, "activation": "relu"]),
            ("Dense", ["units": 3, "activation": "softmax"]),
        ]), inputShape: [6, 6, 1], batch: 7, classes: 3, threads: 1, step: 2e-3)
    }

    /// The default model's block (Conv ReLU, BatchNormalization, 2x2 max pool) and a ReLU
    /// straight into a max pool: the ReLUs' masks are applied by the layer after them.
    func testReLUMasksFoldedIntoTheNextLayer() throws {
        let configuration = sequential([8, 8, 1], [
            ("Conv2D", ["filters": 4, "kernel_size": [3, 3], "padding": "same", "activation": "relu", "kernel_initializer": "he_normal"]),
            ("BatchNormalization", [:]),
            ("MaxPooling2D", ["pool_size": [2, 2]]),
            ("Conv2D", ["filters": 3, "kernel_size": [3, 3], "padding": "same", "activation": "relu", "kernel_initializer": "he_normal"]),
            ("MaxPooling2D", ["pool_size": [2, 2]]),
            ("Flatten", [:]),
            ("Dense", ["units": 3, "activation": "softmax"]),
        ])
        let network = try Network(configuration: configuration, weights: nil, seed: 3)
        XCTAssertEqual(network.layers.compactMap { $0.activationStage?.maskLeftToNextLayer }, [true, true, false])
        XCTAssertEqual(network.layers.compactMap { ($0 as? PositiveInputMasking)?.masksByPositiveInput }, [true, false, true])
        try checkGradients(configuration, inputShape: [8, 8, 1], batch: 6, classes: 3, step: 1e-3)
    }

    /// The same seed gives the same run; splitting the batch over more threads changes only the
    /// order of a few sums.
    func testRunsRepeatAndThreadsAgree() throws {
        let configuration = sequential([5, 5, 1], [
            ("Conv2D", ["filters": 3, "kernel_size": [3, 3], "activation": "relu"]),
            ("BatchNormalization", [:]),
            ("Flatten", [:]),
            ("Dropout", ["rate": 0.2]),
            ("Dense", ["units": 3, "activation": "softmax"]),
        ])
        func run(threads: Int) throws -> [Float] {
            let network = try Network(configuration: configuration, weights: nil, seed: 9)
            var settings = TrainingConfiguration()
            settings.threads = threads
            settings.seed = 4
            settings.epochs = 3
            settings.batchSize = 4
            settings.optimizer = OptimizerSettings(.adam)
            let images = try LabelledImages(shape: ImageShape(height: 5, width: 5), pixels: .floats(randomValues(10 * 25, seed: 1)),
                                            labels: (0..<10).map { $0 % 3 }, classNames: ["a", "b", "c"])
            try Trainer(network: network, configuration: settings).fit(images)
            return network.parameters.flatMap(\.values)
        }
        let once = try run(threads: 1)
        XCTAssertEqual(once, try run(threads: 1))
        let parallel = try run(threads: 3)
        XCTAssertEqual(parallel, try run(threads: 3))
        let worst = zip(once, parallel).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-5)
        XCTAssertNotEqual(once, try Network(configuration: configuration, weights: nil, seed: 9).parameters.flatMap(\.values),
                          "training changed the weights")
    }
}
