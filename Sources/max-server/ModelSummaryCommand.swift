import Foundation
import Keras

/// `max-server model-summary FILE [--weights WEIGHTS.h5]`: loads a Keras model (format found from
/// the bytes) and prints the layer table Keras's `model.summary()` prints.
enum ModelSummaryCommand {
    static let command = Command(
        name: "model-summary",
        summary: "load a Keras model file and print its layers and parameter counts",
        help: """
        usage: max-server model-summary FILE [--weights WEIGHTS.h5]

        Loads FILE: a Keras 2 / tf.keras .h5, a Keras 3 .keras archive or a Keras 3 legacy .h5
        (recognised from the content), or, with --weights, an architecture JSON (model.to_json())
        whose weights model.save_weights() wrote. Prints input and output shapes and, per layer,
        the output shape and parameter count.
        """,
        spec: ArgumentSpec(valued: ["--weights"], maxPositionals: 1, minPositionals: 1),
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        guard let path = arguments.positionals.first else { throw UsageError("expected a model FILE") }
        let model = try loadModel(path: path, weights: arguments.value("--weights"))
        print(model.summary())
        print("Input shape: \(model.inputShape)  Output shape: \(model.outputShape)")
        return 0
    }

    /// Loads a model for a command, turning engine errors into one readable line.
    static func loadModel(path: String, weights: String?) throws -> KerasModel {
        do {
            if let weights { return try KerasModel.load(architecturePath: path, weightsPath: weights) }
            return try KerasModel.load(path: path)
        } catch let error as KerasError {
            throw CommandFailure("\(path): \(error)")
        }
    }
}
