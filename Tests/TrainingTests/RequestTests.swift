import Datasets
import Foundation
import Keras
import XCTest
@testable import Training

/// The Imagia request body: defaults, extensions, and a message naming the key for every bad one.
final class RequestTests: XCTestCase {
    func parse(_ text: String) throws -> TrainingRequest { try TrainingRequest.parse(json: Array(text.utf8)) }

    func message(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    func testImagiaBodyAndDefaults() throws {
        let request = try parse("""
            {"dataset": "MnistDataset", "dataset_args": {"image_size": [28, 28, 1]}, "model": "DigitModel",
             "network": "mlp", "network_args": {"layer_sizes": [64, 32], "dropout_amount": 0.1, "activation": "tanh"},
             "train_args": {"batch_size": 16, "epochs": 3}, "save_weights": true}
            """)
        XCTAssertEqual(request.configuration.epochs, 3)
        XCTAssertEqual(request.configuration.batchSize, 16)
        XCTAssertEqual(request.configuration.optimizer, OptimizerSettings(.rmsprop))
        XCTAssertTrue(request.saveWeights)
        XCTAssertFalse(request.deploy)
        XCTAssertEqual(request.imageShape, ImageShape(height: 28, width: 28))
        let minimal = try parse(#"{"network": "lenet5"}"#)
        XCTAssertEqual(minimal.configuration.epochs, 10)
        XCTAssertEqual(minimal.configuration.batchSize, 32)
        XCTAssertEqual(minimal.configuration.augmentation, .none)
    }

    func testExtensions() throws {
        let request = try parse("""
            {"network": "mnist_cnn", "deploy": true, "train_args": {"optimizer": {"class_name": "SGD", "config": {"momentum": 0.9,
             "nesterov": true}}, "learning_rate": {"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.1,
             "decay_steps": 100}}, "validation_split": 0.25, "augment": true, "seed": 7, "shuffle": false}}
            """)
        XCTAssertEqual(request.configuration.optimizer.kind, .sgd)
        XCTAssertEqual(request.configuration.optimizer.momentum, 0.9)
        XCTAssertTrue(request.configuration.optimizer.nesterov)
        XCTAssertEqual(request.configuration.optimizer.learningRate,
                       .cosineDecay(initial: 0.1, decaySteps: 100, alpha: 0, warmupTarget: nil, warmupSteps: 0))
        XCTAssertEqual(request.validationSplit, 0.25)
        XCTAssertEqual(request.configuration.augmentation, .mnist)
        XCTAssertEqual(request.configuration.seed, 7)
        XCTAssertFalse(request.configuration.shuffle)
        XCTAssertTrue(request.deploy)
        let file = try parse(#"{"network": "file", "network_args": {"path": "assets/mnist_cnn.h5"}}"#)
        XCTAssertEqual(file.network, .file(path: "assets/mnist_cnn.h5"))
        XCTAssertEqual(try parse(#"{"network": "mlp", "train_args": {"augment": {"rotation": 5, "shift": 1}}}"#).configuration.augmentation,
                       Augmentation(rotationDegrees: 5, shiftPixels: 1))
    }

    func testEveryBadSettingNamesItsKey() {
        let cases: [(String, String)] = [
            ("[]", "must be a JSON object"),
            ("{", "is not valid JSON"),
            ("{}", "network is missing"),
            (#"{"network": "resnet"}"#, "network 'resnet' is not a network"),
            (#"{"network": 5}"#, "network must be a string"),
            (#"{"network": "mlp", "train_args": {"epochs": -1}}"#, "train_args.epochs must be a whole number from 1"),
            (#"{"network": "mlp", "train_args": {"epochs": 2.5}}"#, "train_args.epochs must be a whole number"),
            (#"{"network": "mlp", "train_args": {"epochs": "ten"}}"#, "train_args.epochs must be a whole number"),
            (#"{"network": "mlp", "train_args": {"batch_size": 0}}"#, "train_args.batch_size must be a whole number from 1"),
            (#"{"network": "mlp", "train_args": {"optimizer": "lbfgs"}}"#, "train_args.optimizer 'lbfgs' is not an optimizer"),
            (#"{"network": "mlp", "train_args": {"learning_rate": -1}}"#, "train_args.learning_rate must be a finite number"),
            (#"{"network": "mlp", "train_args": {"validation_split": 1}}"#, "train_args.validation_split must be a number"),
            (#"{"network": "mlp", "train_args": {"augment": {"zoom": 3}}}"#, "train_args.augment is out of range"),
            (#"{"network": "mlp", "train_args": {"augment": {"blur": 1}}}"#, "train_args.augment.blur is not an augmentation"),
            (#"{"network": "mlp", "train_args": {"epoch": 3}}"#, "train_args.epoch is not a training argument"),
            (#"{"network": "mlp", "network_args": {"layer_sizes": [0]}}"#, "network_args.layer_sizes[0] must be a whole number"),
            (#"{"network": "mlp", "network_args": {"layer_sizes": 128}}"#, "network_args.layer_sizes must be a list"),
            (#"{"network": "mlp", "network_args": {"dropout_amount": 1.5}}"#, "network_args.dropout_amount must be a number"),
            (#"{"network": "mlp", "network_args": {"activation": "sparkle"}}"#, "network_args.activation must name an activation"),
            (#"{"network": "lenet5", "network_args": {"layer_sizes": [3]}}"#, "network_args.layer_sizes is not a setting of lenet5"),
            (#"{"network": "file"}"#, "network_args.path must name the Keras model file"),
            (#"{"network": "mlp", "dataset": "Cifar"}"#, "dataset must be \"MnistDataset\""),
            (#"{"network": "mlp", "model": "Other"}"#, "model must be \"DigitModel\""),
            (#"{"network": "mlp", "dataset_args": {"image_size": [28]}}"#, "dataset_args.image_size must be [height, width]"),
            (#"{"network": "mlp", "save_weights": "yes"}"#, "save_weights must be true or false"),
            (#"{"network": "mlp", "deploy": 1}"#, "deploy must be true or false"),
            (#"{"network": "mlp", "extra": 1}"#, "extra is not a training setting"),
        ]
        for (body, expected) in cases {
            let text = message(body)
            XCTAssertTrue(text.contains(expected), "\(body): '\(text)' does not contain '\(expected)'")
        }
        let limited = TrainingRequest.Limits(maxEpochs: 50, maxBatchSize: 256)
        XCTAssertThrowsError(try TrainingRequest.parse(json: Array(#"{"network": "mlp", "train_args": {"epochs": 51}}"#.utf8), limits: limited)) {
            XCTAssertTrue("\($0)".contains("from 1 to 50"), "\($0)")
        }
    }

    /// The catalog's configurations are what tf-keras writes: they load in the inference engine
    /// and the trainer, with the layer names Keras would give.
    func testCatalogNetworksBuild() throws {
        let expectedParameters = ["mlp": 118_282, "lenet5": 61_706, "mnist_cnn": 271_594, "mnist_small": 98_890]
        for name in NetworkCatalog.names {
            let json = try NetworkCatalog.configuration(network: name, arguments: [:], shape: ImageShape(height: 28, width: 28), classes: 10)
            let network = try Network(configuration: json, weights: nil, seed: 1)
            XCTAssertEqual(network.parameterCount, expectedParameters[name], name)
            XCTAssertEqual(network.outputShape, [10], name)
            let model = try KerasModel(configurationJSON: json, weights: network.weights)
            XCTAssertEqual(model.inputShape, [28, 28, 1])
        }
        let eleven = try NetworkCatalog.configuration(network: "mlp", arguments: ["layer_sizes": [10]],
                                                      shape: ImageShape(height: 28, width: 28), classes: 11)
        XCTAssertEqual(try Network(configuration: eleven, weights: nil, seed: 1).outputShape, [11])
    }

    /// `mnist_small` takes its blocks' filters and its hidden layer's size (0: none), so a
    /// cheaper default model is a config change; counts beyond what the image halves to are refused.
    func testSmallCNNTakesFiltersAndDenseUnits() throws {
        let shape = ImageShape(height: 28, width: 28)
        let json = try NetworkCatalog.configuration(network: "mnist_small", arguments: ["filters": [8, 16], "dense_units": 0],
                                                    shape: shape, classes: 11)
        let network = try Network(configuration: json, weights: nil, seed: 1)
        // conv 1->8 (80) + BN (32), conv 8->16 (1,168) + BN (64), 7x7x16 -> 11 (8,635).
        XCTAssertEqual(network.parameterCount, 80 + 32 + 1_168 + 64 + 7 * 7 * 16 * 11 + 11)
        let layers = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
            .flatMap { ($0["config"] as? [String: Any])?["layers"] as? [[String: Any]] })
        XCTAssertEqual(layers.compactMap { $0["class_name"] as? String }.filter { $0 == "Conv2D" || $0 == "Dense" }, ["Conv2D", "Conv2D", "Dense"])
        let cases: [([String: Any], String)] = [
            (["filters": []], "network_args.filters must be a list of 1 to 4 filter counts"),
            (["filters": [8, 8, 8, 8, 8]], "network_args.filters must be a list of 1 to 4"),
            (["filters": [8, 0]], "network_args.filters[1] must be a whole number from 1 to 1024"),
            (["dense_units": -1], "network_args.dense_units must be a whole number from 0"),
            (["width": 2], "network_args.width is not a setting of mnist_small (filters, dense_units)"),
        ]
        for (arguments, expected) in cases {
            XCTAssertThrowsError(try NetworkCatalog.configuration(network: "mnist_small", arguments: arguments, shape: shape, classes: 10)) {
                XCTAssertTrue("\($0)".contains(expected), "\(arguments): \($0)")
            }
        }
    }

    /// A network over the parameter limit is refused at the layer that crosses it, before its
    /// weights exist; the memory estimate grows with the batch and refuses past its limit.
    func testLimitsRefuseBeforeAllocating() throws {
        let shape = ImageShape(height: 28, width: 28)
        let huge = try NetworkCatalog.configuration(network: "mlp", arguments: ["layer_sizes": [65536, 65536]], shape: shape, classes: 10)
        let limits = TrainingLimits(maxParameters: 1_000_000, parametersName: "the test's limit")
        XCTAssertThrowsError(try Network(configuration: huge, weights: nil, seed: 1, limits: limits)) { error in
            XCTAssertEqual("\(error)", "network is too large: layer 'dense' brings it to 51445760 weights, more than the 1000000 the test's limit allows")
        }
        let cnn = try NetworkCatalog.configuration(network: "mnist_cnn", arguments: [:], shape: shape, classes: 10)
        XCTAssertThrowsError(try Network(configuration: cnn, weights: nil, seed: 1, limits: TrainingLimits(maxParameters: 271_593)))
        let network = try Network(configuration: cnn, weights: nil, seed: 1, limits: TrainingLimits(maxParameters: 271_594))
        let small = network.trainingMemoryEstimate(batch: 32, pieces: 2, optimizerSlots: 2)
        // As a run with two threads splits a batch of 64.
        let large = network.trainingMemoryEstimate(batch: 64, pieces: batchPieces(64, threads: 2), optimizerSlots: 2)
        // Weights (271,594 x (1 + gradient + 2 accumulators + 2 slots)) at least, and per image
        // at least every layer's output once.
        XCTAssertGreaterThan(small, 271_594 * 6 * 4 + 32 * 4 * (28 * 28 * 32 * 2))
        XCTAssertGreaterThan(large - small, 32 * 4 * (28 * 28 * 32 * 2))
        var request = try TrainingRequest.parse(json: Array(#"{"network": "mnist_cnn", "train_args": {"batch_size": 64, "optimizer": "adam"}}"#.utf8))
        var run = TrainingRun(request: request)
        run.limits = TrainingLimits(maxMemoryBytes: large)
        XCTAssertNoThrow(try run.checkLimits(classes: 10, images: 4000))
        run.limits = TrainingLimits(maxMemoryBytes: large - 1, memoryName: "the test's memory")
        XCTAssertThrowsError(try run.checkLimits(classes: 10, images: 4000)) { error in
            XCTAssertTrue("\(error)".hasPrefix("train_args.batch_size of 64 with this network needs about \(large >> 20) MiB"), "\(error)")
        }
        XCTAssertNoThrow(try run.checkLimits(classes: 10, images: 32), "a batch is never larger than the data")
        request.configuration.batchSize = 32
        var smaller = TrainingRun(request: request)
        smaller.limits = run.limits
        XCTAssertNoThrow(try smaller.checkLimits(classes: 10, images: 4000), "a smaller batch fits")
    }
}
