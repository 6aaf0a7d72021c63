import Datasets
import Foundation

/// `max-server dataset convert IN OUT` and `max-server dataset info FILE`: labelled digit sets
/// between Kaggle CSV, MNIST IDX, Keras's mnist.npz and TFRecord, with a subset of digits
/// (`--numbers`) and a validation part (`--split`), as the digit services' data pipelines do.
enum DatasetCommand {
    static let command = Command(
        name: "dataset",
        summary: "convert labelled image sets (CSV, IDX, npz, TFRecord), keep some digits, split",
        help: """
        usage: max-server dataset convert IN OUT [options]
               max-server dataset info FILE [--numbers LIST] [--shape HxW[xC]]

        IN / FILE: a Kaggle CSV (label,pixel0,...; gzip or not), an MNIST IDX images file or a
        directory of IDX files, a Keras .npz (x_train, y_train[, x_test, y_test]), or a TFRecord
        of tf.train.Example (a file, TensorFlow's shards named by their prefix, or a quoted glob
        pattern). The format is found from the bytes.

        convert writes OUT in the format its name implies (.csv, .npz, .tfrecord/.tfrecords/.tfrec,
        any of them .gz; a directory for IDX) or --to. IN's test part (npz, IDX directory) goes into
        OUT when the format holds one (npz, IDX), else beside OUT as NAME-test.EXT.
          --to FORMAT            csv, idx, npz or tfrecord
          --numbers LIST         keep only these digits, e.g. 0,1,7 or --numbers 0 --numbers 1 ...
                                 (labels stay the digits)
          --split FRACTION       hold out the last FRACTION (0-1) of the training images as a
                                 validation part, written beside OUT as NAME-validation.EXT
          --seed N               shuffle with seed N before splitting
          --test-out PATH        where IN's test part goes instead
          --validation-out PATH  where the validation part goes instead
          --no-test              leave IN's test part out
          --shards N             write each part as N files OUT-00000-of-0000N (not for IDX)
          --image-format raw|png TFRecord examples hold image_raw bytes + height/width/depth
                                 (raw, TensorFlow's convert_to_records layout; the default) or
                                 image as a PNG file (png, TensorFlow Datasets' layout); both with label
          --gzip                 gzip what is written (implied by OUT ending in .gz)
          --shape HxW[xC]        image shape of CSV rows and of TFRecords without height/width
                                 features (default 28x28)
        info prints the set's size, image shape and images per label.
        """,
        spec: ArgumentSpec(valued: ["--to", "--numbers", "--split", "--seed", "--test-out", "--validation-out", "--shards",
                                    "--image-format", "--shape"],
                           flags: ["--no-test", "--gzip"], maxPositionals: 3, minPositionals: 1, lists: ["--numbers"]),
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        let verb = arguments.positionals[0]
        let operands = Array(arguments.positionals.dropFirst())
        switch verb {
        case "convert":
            guard operands.count == 2 else { throw UsageError("convert takes IN and OUT") }
            return try convert(from: operands[0], to: operands[1], arguments)
        case "info":
            guard operands.count == 1 else { throw UsageError("info takes one FILE") }
            let convertOnly = ["--to", "--split", "--seed", "--test-out", "--validation-out", "--shards", "--image-format"]
            if let option = convertOnly.first(where: { arguments.value($0) != nil }) ?? (arguments.has("--gzip") ? "--gzip" : nil) {
                throw UsageError("\(option) is an option of convert")
            }
            return try info(operands[0], arguments)
        default:
            throw UsageError("unknown dataset command '\(verb)' (convert or info)")
        }
    }

    static func info(_ path: String, _ arguments: ParsedArguments) throws -> Int32 {
        let splits = try load(path, arguments)
        print("\(path): \(describe(splits.training))")
        if let test = splits.test { print("  test part: \(describe(test))") }
        return 0
    }

    static func convert(from input: String, to output: String, _ arguments: ParsedArguments) throws -> Int32 {
        // Options first, so a typo fails before a large file is read.
        let format: DatasetOutputFormat
        if let name = arguments.value("--to") {
            guard let named = DatasetOutputFormat(rawValue: name.lowercased()) else {
                throw UsageError("--to must be csv, idx, npz or tfrecord, got '\(name)'")
            }
            format = named
        } else {
            guard let implied = DatasetOutputFormat.implied(by: output) else {
                throw UsageError("cannot tell the format from '\(output)': end it in .csv, .npz or .tfrecord, end a directory in /, or give --to")
            }
            format = implied
        }
        var writeOptions = DatasetWriter.Options(format: format, gzip: arguments.has("--gzip"))
        if let encoding = arguments.value("--image-format") {
            guard let value = TFRecordImages.ImageEncoding(rawValue: encoding) else {
                throw UsageError("--image-format must be raw or png, got '\(encoding)'")
            }
            guard format == .tfrecord else { throw UsageError("--image-format applies to TFRecord output only") }
            writeOptions.imageEncoding = value
        }
        if let shards = try arguments.int("--shards") {
            guard (1...10_000).contains(shards) else { throw UsageError("--shards must be 1-10000, got \(shards)") }
            writeOptions.shards = shards
        }
        var fraction: Double?
        if let text = arguments.value("--split") {
            guard let value = Double(text), value > 0, value < 1 else {
                throw UsageError("--split must be a fraction between 0 and 1 (exclusive), got '\(text)'")
            }
            fraction = value
        }
        let seed = try arguments.value("--seed").map { text -> UInt64 in
            guard let value = UInt64(text) else { throw UsageError("--seed expects a non-negative whole number, got '\(text)'") }
            return value
        }
        if seed != nil && fraction == nil { throw UsageError("--seed shuffles before --split; give --split too") }
        if arguments.value("--validation-out") != nil && fraction == nil { throw UsageError("--validation-out needs --split") }

        var splits = try load(input, arguments, subset: false)
        print("read \(input): \(describe(splits.training))" + (splits.test.map { "; test part: \(describe($0))" } ?? ""))
        if arguments.has("--no-test") { splits.test = nil }
        if arguments.value("--numbers") != nil {
            splits = try subset(splits, of: input, arguments)
            print("kept digits \(splits.training.classNames.joined(separator: ", ")): \(splits.training.count) image\(splits.training.count == 1 ? "" : "s")"
                  + (splits.test.map { ", test part \($0.count)" } ?? ""))
        }

        var validation: LabelledImages?
        if let fraction {
            let parts = try failing { try splits.training.split(validationFraction: fraction, shuffleSeed: seed) }
            guard !parts.training.isEmpty, !parts.validation.isEmpty else {
                throw CommandFailure("--split \(fraction) of \(splits.training.count) images leaves an empty part")
            }
            splits.training = parts.training
            validation = parts.validation
        }

        var written: [DatasetWriter.WrittenFile] = []
        let testInside = format.holdsTestPart && arguments.value("--test-out") == nil
        written += try failing {
            try DatasetWriter.write(DatasetSplits(training: splits.training, test: testInside ? splits.test : nil), to: output,
                                    options: writeOptions)
        }
        if let test = splits.test, !testInside {
            let path = arguments.value("--test-out") ?? sibling(of: output, part: "test")
            written += try failing { try DatasetWriter.write(DatasetSplits(training: test), to: path, options: writeOptions) }
        }
        if let validation {
            let path = arguments.value("--validation-out") ?? sibling(of: output, part: "validation")
            written += try failing { try DatasetWriter.write(DatasetSplits(training: validation), to: path, options: writeOptions) }
        }
        for file in written { print("wrote \(file.path): \(file.images) image\(file.images == 1 ? "" : "s")") }
        return 0
    }

    /// Reads a set for a command, applying --shape and (with `subset`) --numbers.
    static func load(_ path: String, _ arguments: ParsedArguments, subset applyNumbers: Bool = true) throws -> DatasetSplits {
        var options = DatasetFile.Options()
        if let text = arguments.value("--shape") { options.shape = try parseShape(text) }
        let numbers = try arguments.value("--numbers").map { text in try failing { try ClassList.parse(text) } }
        let splits = try failing { try DatasetFile.load(path: path, options: options) }
        return applyNumbers && numbers != nil ? try subset(splits, of: path, arguments) : splits
    }

    /// The images of the digits --numbers lists, in the training and the test part.
    static func subset(_ splits: DatasetSplits, of path: String, _ arguments: ParsedArguments) throws -> DatasetSplits {
        guard let text = arguments.value("--numbers") else { return splits }
        let numbers = try failing { try ClassList.parse(text) }
        return try failing(context: path) { try splits.selecting(classes: numbers) }
    }

    /// "28x28" or "32x32x3".
    static func parseShape(_ text: String) throws -> ImageShape {
        let parts = text.lowercased().split(separator: "x").map { Int($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ ($0 ?? 0) > 0 && $0! <= 65535 }) else {
            throw UsageError("--shape must be HEIGHTxWIDTH or HEIGHTxWIDTHxCHANNELS, got '\(text)'")
        }
        return ImageShape(height: parts[0]!, width: parts[1]!, channels: parts.count == 3 ? parts[2]! : 1)
    }

    /// `data/train.tfrecord` -> `data/train-test.tfrecord`; `out.csv.gz` -> `out-test.csv.gz`;
    /// a directory `idx/` -> `idx-test/`.
    static func sibling(of path: String, part: String) -> String {
        var trimmed = Substring(path)
        let isDirectory = trimmed.hasSuffix("/")
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        let slash = trimmed.lastIndex(of: "/")
        let folder = slash.map { String(trimmed[...$0]) } ?? ""
        var stem = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? String(trimmed)
        var extensions = ""
        if stem.hasSuffix(".gz") { stem.removeLast(3); extensions = ".gz" }
        if let dot = stem.lastIndex(of: "."), dot != stem.startIndex {
            extensions = String(stem[dot...]) + extensions
            stem = String(stem[..<dot])
        }
        return folder + stem + "-" + part + extensions + (isDirectory ? "/" : "")
    }

    /// "4000 images of 28x28x1 (bytes), labels 0 x 395, 1 x 462, ..."
    static func describe(_ images: LabelledImages) -> String {
        let kind: String
        switch images.pixels {
        case .bytes: kind = "8-bit"
        case .floats: kind = "float"
        }
        return "\(images.describeCounts()) (\(images.shape) \(kind) pixels)"
    }

    /// Runs a Datasets call, turning its error into one line for the user.
    static func failing<T>(context: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatasetError {
            throw CommandFailure(context.map { "\($0): \(error.message)" } ?? error.message)
        }
    }
}
