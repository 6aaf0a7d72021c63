import Foundation
import Keras
import MAXFramework
import XCTest

/// `max-server train` as a user runs it: the built binary, real files, exit statuses, the two
/// result lines on stdout, progress on stderr, and one line for every bad input.
final class TrainCommandTests: XCTestCase {
    struct Result {
        let status: Int32
        let output: String
        let error: String
    }

    func run(_ arguments: [String], in folder: URL) throws -> Result {
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self),
                      error: String(decoding: errorData, as: UTF8.self))
    }

    /// A Kaggle-layout CSV of `count` 28x28 "digits": class k lights row 4 + 2k.
    func writeDigits(_ count: Int, to url: URL, columns: Int = 784, label: (Int) -> Int = { $0 % 10 }) throws {
        var lines = ["label," + (0..<784).map { "pixel\($0)" }.joined(separator: ",")]
        for index in 0..<count {
            let digit = label(index)
            var pixels = [Int](repeating: 0, count: 784)
            let row = 4 + 2 * (digit % 10)
            for x in 4..<24 { pixels[row * 28 + x] = 200 + index % 50 }
            lines.append("\(digit)," + pixels.prefix(columns).map(String.init).joined(separator: ","))
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }

    func testTrainsWritesTheModelAndPrintsTheResultAndMD5Line() throws {
        let folder = try emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeDigits(200, to: folder.appendingPathComponent("train.csv"))
        try writeDigits(50, to: folder.appendingPathComponent("test.csv"))
        let result = try run(["train", #"{"network": "mlp", "network_args": {"layer_sizes": [32]}, "train_args": {"epochs": 2, "batch_size": 20}}"#,
                              "--data", "train.csv", "--test-data", "test.csv", "--out", "model.h5", "--seed", "3",
                              "--history", "history.json"], in: folder)
        XCTAssertEqual(result.status, 0, result.error)
        let lines = result.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, result.output)
        let json = try JSONValue.parse(lines[0])
        XCTAssertEqual(json["message"]?["status"]?.stringValue, "success")
        let testAccuracy = try XCTUnwrap(json["message"]?["test"]?["accuracy"]?.doubleValue)
        XCTAssertGreaterThan(testAccuracy, 0.5)
        XCTAssertNotNil(json["message"]?["train"]?["loss"]?.doubleValue)
        let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent("model.h5")))
        XCTAssertEqual(lines[1], "\(MD5.hex(of: bytes))  model.h5")
        XCTAssertEqual(try KerasModel.load(bytes: bytes).outputShape, [10])
        // Not a terminal: one plain line per epoch on stderr.
        XCTAssertTrue(result.error.contains("epoch 1: loss "), result.error)
        XCTAssertTrue(result.error.contains("epoch 2: loss "), result.error)
        XCTAssertFalse(result.error.contains("\r"))
        XCTAssertEqual(try JSONValue.parse([UInt8](try Data(contentsOf: folder.appendingPathComponent("history.json")))).arrayValue?.count, 2)
        // The same seed gives the same file.
        let again = try run(["train", #"{"network": "mlp", "network_args": {"layer_sizes": [32]}, "train_args": {"epochs": 2, "batch_size": 20}}"#,
                             "--data", "train.csv", "--test-data", "test.csv", "--out", "again.h5", "--seed", "3", "--progress", "none"],
                            in: folder)
        XCTAssertEqual(again.status, 0, again.error)
        XCTAssertEqual(again.error, "")
        XCTAssertEqual([UInt8](try Data(contentsOf: folder.appendingPathComponent("again.h5"))), bytes)
    }

    /// `--outliers` with `--outliers-per-epoch`: a fresh draw each epoch, trained as the config's
    /// reject class; announced on stderr, and the same seed gives the same file.
    func testOutliersDrawnPerEpochAsARejectClass() throws {
        let folder = try emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeDigits(100, to: folder.appendingPathComponent("train.csv"))
        try writeDigits(60, to: folder.appendingPathComponent("outliers.csv"), label: { $0 % 10 })
        try writeDigits(40, to: folder.appendingPathComponent("test.csv"))
        let config = #"{"network": "mlp", "network_args": {"layer_sizes": [16]}, "dataset_args": {"class_names": ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "not a digit"]}, "train_args": {"epochs": 2, "batch_size": 20, "outlier_class": "not a digit"}}"#
        let arguments = ["train", config, "--data", "train.csv", "--test-data", "test.csv", "--outliers", "outliers.csv", "--outliers-per-epoch", "20",
                         "--seed", "5"]
        let first = try run(arguments + ["--out", "a.h5"], in: folder)
        XCTAssertEqual(first.status, 0, first.error)
        XCTAssertTrue(first.error.contains("training mlp on 100 images + 20 per epoch of 60 outliers as 'not a digit', testing on 40 ("), first.error)
        // The result keeps Imagia's shape and adds how the digits fare as the server reads them;
        // stderr's last lines say the same in words.
        let result = try JSONValue.parse(Array(first.output.split(separator: "\n")[0].utf8))
        for part in ["train", "test"] {
            let metrics = try XCTUnwrap(result["message"]?[part], first.output)
            XCTAssertEqual(metrics.objectMembers?.map(\.key), ["accuracy", "loss", "reject_class", "accuracy_without_reject", "reject_rate"])
            XCTAssertEqual(metrics["reject_class"]?.stringValue, "not a digit")
            let plain = try XCTUnwrap(metrics["accuracy"]?.doubleValue), served = try XCTUnwrap(metrics["accuracy_without_reject"]?.doubleValue)
            let rate = try XCTUnwrap(metrics["reject_rate"]?.doubleValue)
            // No image is labelled "not a digit": every one the reject class wins is a plain mistake.
            XCTAssertGreaterThanOrEqual(served, plain)
            XCTAssertLessThanOrEqual(plain, 1 - rate + 1e-12)
            let line = try XCTUnwrap(first.error.split(separator: "\n").first { $0.hasPrefix("\(part): accuracy ") }, first.error)
            XCTAssertTrue(line.contains(String(format: "accuracy %.4f over every class; without 'not a digit': %.4f of the %d images", plain, served,
                                               part == "train" ? 100 : 40)), String(line))
        }
        XCTAssertEqual(try KerasModel.load(bytes: [UInt8](try Data(contentsOf: folder.appendingPathComponent("a.h5")))).outputShape, [11])
        let second = try run(arguments + ["--out", "b.h5"], in: folder)
        XCTAssertEqual(second.status, 0, second.error)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("a.h5")), try Data(contentsOf: folder.appendingPathComponent("b.h5")))
        let bad = try run(["train", config, "--data", "train.csv", "--outliers", "outliers.csv", "--outliers-per-epoch", "0", "--out", "c.h5"],
                          in: folder)
        XCTAssertEqual(bad.status, 1, bad.error)
        XCTAssertTrue(bad.error.contains("--outliers-per-epoch must be a positive whole number, got 0"), bad.error)
    }

    /// `--plain-data`: trained with --data, announced, and (TrainingTests) never augmented.
    func testPlainDataIsTrainedBesideTheData() throws {
        let folder = try emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeDigits(60, to: folder.appendingPathComponent("train.csv"))
        try writeDigits(40, to: folder.appendingPathComponent("plain.csv"))
        let config = #"{"network": "mlp", "network_args": {"layer_sizes": [16]}, "train_args": {"epochs": 1, "batch_size": 20, "augment": true}}"#
        let result = try run(["train", config, "--data", "train.csv", "--plain-data", "plain.csv", "--out", "a.h5", "--progress", "lines"], in: folder)
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.error.contains("training mlp on 60 images + 40 plain (never augmented) "), result.error)
        let missing = try run(["train", config, "--data", "train.csv", "--plain-data", "nothing.csv", "--out", "b.h5"], in: folder)
        XCTAssertEqual(missing.status, 1, missing.error)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("b.h5").path))
    }

    func testConfigurationFromAFileAndModelJSON() throws {
        let folder = try emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"network": "lenet5"}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        let result = try run(["train", "config.json", "--model-json"], in: folder)
        XCTAssertEqual(result.status, 0, result.error)
        let json = try JSONValue.parse(result.output)
        XCTAssertEqual(json["class_name"]?.stringValue, "Sequential")
        XCTAssertEqual(json["config"]?["layers"]?.arrayValue?.count, 10)
    }

    /// Every bad input: exit 1, one line on stderr naming the problem, no model file left.
    func testBadInputIsOneLineAndExitOne() throws {
        let folder = try emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeDigits(20, to: folder.appendingPathComponent("good.csv"))
        try writeDigits(20, to: folder.appendingPathComponent("short.csv"), columns: 783)
        try writeDigits(20, to: folder.appendingPathComponent("labels.csv"), label: { $0 == 7 ? 12 : $0 % 10 })
        try Data().write(to: folder.appendingPathComponent("empty.csv"))
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).write(to: folder.appendingPathComponent("picture.png"))
        let mlp = #"{"network": "mlp", "train_args": {"epochs": 1}}"#
        let cases: [([String], String)] = [
            ([#"{"network": "resnet"}"#, "--data", "good.csv", "--out", "m.h5"], "network 'resnet' is not a network"),
            ([#"{"network": "mlp", "train_args": {"epochs": -1}}"#, "--data", "good.csv", "--out", "m.h5"], "train_args.epochs must be"),
            ([mlp, "--data", "good.csv", "--out", "m.h5", "--epochs", "0"], "--epochs must be a positive whole number"),
            ([mlp, "--data", "picture.png", "--out", "m.h5"], "not a Kaggle CSV, MNIST IDX or NumPy .npz file"),
            ([mlp, "--data", "short.csv", "--out", "m.h5"], "line 2 has 784 values"),
            ([mlp, "--data", "labels.csv", "--out", "m.h5"], "line 9: label 12 is outside 0-9"),
            ([mlp, "--data", "empty.csv", "--out", "m.h5"], "the file is empty"),
            ([mlp, "--data", "missing.csv", "--out", "m.h5"], "no such file"),
            ([mlp, "--data", "good.csv", "--out", "no/such/dir/m.h5"], "does not exist"),
            (["not json and no file", "--data", "good.csv", "--out", "m.h5"], "neither inline JSON nor a readable file"),
            ([#"{"network": "mlp", "dataset_args": {"image_size": [14, 14]}}"#, "--data", "good.csv", "--out", "m.h5"], "the header has 785 columns, expected 197"),
        ]
        for (arguments, expected) in cases {
            let result = try run(["train"] + arguments, in: folder)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.error)")
            let lines = result.error.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): \(result.error)")
            XCTAssertTrue(result.error.hasPrefix("max-server train: "), result.error)
            XCTAssertTrue(result.error.contains(expected), "\(arguments): '\(result.error)' lacks '\(expected)'")
            XCTAssertEqual(result.output, "")
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.h5").path), "\(arguments)")
        }
        // Usage errors exit 2 with the usage.
        let usage = try run(["train", mlp, "--out", "m.h5"], in: folder)
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.error.contains("--data PATH is required"), usage.error)
    }
}
