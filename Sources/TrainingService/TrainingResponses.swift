import Foundation
import MAXFramework
import Training

/// The JSON shapes of the Imagia digit service's training API, in its key order.
public enum TrainingResponses {
    /// `{"accuracy": ..., "loss": ...}`, or null when there was nothing to measure. With a
    /// reject class, three more members after Imagia's two: `reject_class` (its name),
    /// `accuracy_without_reject` (the other classes' images read as the most probable of the
    /// other classes, as the server reads them) and `reject_rate` (the share of those images
    /// the reject class wins). `accuracy` stays the argmax over every class.
    public static func metrics(_ value: TrainingOutcome.Metrics?) -> JSONValue {
        guard let value else { return .null }
        var members: [(key: String, value: JSONValue)] = [("accuracy", .number(value.accuracy)), ("loss", .number(value.loss))]
        if let reject = value.reject {
            members += [("reject_class", .string(reject.rejectClass)), ("accuracy_without_reject", .number(reject.accuracy)),
                        ("reject_rate", .number(reject.rejectRate))]
        }
        return .object(members)
    }

    /// Imagia's result: {"message": {"status": "success", "train": {...}, "test": {...}}}.
    public static func result(_ outcome: TrainingOutcome) -> JSONValue {
        .object([("message", .object([("status", .string("success")), ("train", metrics(outcome.train)),
                                      ("test", metrics(outcome.test))]))])
    }

    /// One epoch of the history.
    public static func epoch(_ report: EpochReport) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("epoch", .int(report.epoch)), ("loss", .number(report.loss)),
                                                          ("accuracy", .number(report.accuracy))]
        if let loss = report.validationLoss { members.append(("val_loss", .number(loss))) }
        if let accuracy = report.validationAccuracy { members.append(("val_accuracy", .number(accuracy))) }
        members += [("seconds", .number(report.seconds)), ("cpu_seconds", .number(report.cpuSeconds)),
                    ("learning_rate", .number(report.learningRate))]
        return .object(members)
    }
}
