import Compression
import Foundation

/// The file formats a labelled image set is read from. The format is found from the bytes
/// (after gzip, when gzipped), never from the file name.
public enum DatasetFormat: String, Equatable, Sendable, CaseIterable {
    /// Kaggle's `label,pixel0,...` text.
    case kaggleCSV = "csv"
    /// LeCun's IDX pair (images + labels).
    case idx
    /// NumPy's .npz with x_train/y_train (Keras's mnist.npz).
    case npz
    /// TensorFlow's TFRecord of tf.train.Example (see TFRecordImages).
    case tfRecord = "tfrecord"

    /// What `bytes` (already decompressed) hold, or nil when none of the formats.
    public static func detect(_ bytes: [UInt8]) -> DatasetFormat? {
        if TFRecord.hasSignature(bytes) { return .tfRecord }
        if NumPyArchive.hasSignature(bytes) { return .npz }
        if MNISTIDX.hasSignature(bytes) { return .idx }
        if looksLikeText(bytes) { return .kaggleCSV }
        return nil
    }

    /// Printable ASCII and whitespace only (in the first 64 KiB), with at least one digit.
    static func looksLikeText(_ bytes: [UInt8]) -> Bool {
        let head = bytes.prefix(1 << 16)
        guard !head.isEmpty else { return false }
        var digits = 0
        for byte in head {
            if byte >= 0x30 && byte <= 0x39 { digits += 1; continue }
            guard (byte >= 0x20 && byte < 0x7F) || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return false }
        }
        return digits > 0
    }
}

/// Reads labelled images from files or uploaded bytes in any `DatasetFormat`.
public enum DatasetFile {
    /// How to interpret the data: the image shape a CSV row holds and the class names labels index.
    public struct Options: Sendable {
        public var shape: ImageShape
        public var classNames: [String]
        public var limits: DatasetLimits

        public init(shape: ImageShape = ImageShape(height: 28, width: 28),
                    classNames: [String] = LabelledImages.digitClassNames(), limits: DatasetLimits = .default) {
            self.shape = shape
            self.classNames = classNames
            self.limits = limits
        }
    }

    /// A path: a Kaggle CSV (gzip or not), an .npz, an IDX images file (its labels file is the
    /// one beside it whose name says `labels` where this one says `images`), or a directory
    /// holding MNIST's IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, and
    /// `t10k-*` for the test set; each may end in `.gz`), a TFRecord file, or several files read
    /// as one (TensorFlow's shards `x.tfrecord-00000-of-00004`... named `x.tfrecord`, or a glob
    /// pattern; see `DatasetShards`).
    public static func load(path: String, options: Options = Options()) throws -> DatasetSplits {
        var isDirectory: ObjCBool = false
        if let shards = try DatasetShards.paths(for: path) {
            return DatasetSplits(training: try DatasetShards.load(shards, options: options))
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError(.io, "\(path): no such file or directory")
        }
        if isDirectory.boolValue { return try loadIDXDirectory(path, options: options) }
        let bytes = try readMaybeGzipped(path, limits: options.limits)
        do {
            switch DatasetFormat.detect(bytes) {
            case .idx?:
                let labelsPath = try idxLabelsPath(for: path)
                let labels = try readMaybeGzipped(labelsPath, limits: options.limits)
                return DatasetSplits(training: try MNISTIDX.read(images: bytes, labels: labels, classNames: options.classNames,
                                                                 limits: options.limits))
            default:
                return try load(decompressed: bytes, options: options)
            }
        } catch let error as DatasetError {
            throw error.inFile(path)
        }
    }

    /// Bytes as uploaded (gzip or not): a Kaggle CSV, an .npz or a TFRecord. IDX needs two files, so it is
    /// refused here with a message saying so.
    public static func load(bytes: [UInt8], options: Options = Options()) throws -> DatasetSplits {
        try load(decompressed: try gunzipIfNeeded(bytes, limits: options.limits), options: options)
    }

    private static func load(decompressed bytes: [UInt8], options: Options) throws -> DatasetSplits {
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
            throw DatasetError.invalid("the file is empty")
        }
        switch DatasetFormat.detect(bytes) {
        case .kaggleCSV?:
            return DatasetSplits(training: try KaggleCSV.read(bytes, shape: options.shape, classNames: options.classNames,
                                                              limits: options.limits))
        case .npz?:
            return try NumPyArchive.readKerasDataset(bytes, classNames: options.classNames, limits: options.limits)
        case .tfRecord?:
            return DatasetSplits(training: try TFRecordImages.read(bytes, shape: options.shape, classNames: options.classNames,
                                                                   limits: options.limits))
        case .idx?:
            throw DatasetError.invalid("an IDX file needs its companion (images and labels are separate files); give the path of the images file or of their directory")
        case nil:
            if NumPyArray.hasSignature(bytes) {
                throw DatasetError.invalid("a single .npy array holds no labels; use an .npz with x_train and y_train")
            }
            let head = bytes.prefix(4).map { String($0, radix: 16) }.joined(separator: " ")
            // A TFRecord has no signature: say why its first record fails, in case it is one.
            let asRecords = bytes.count < TFRecord.headerSize + TFRecord.footerSize ? ""
                : TFRecord.firstRecordProblem(bytes).map { "; read as TFRecord: \($0)" } ?? ""
            throw DatasetError(.unrecognisedFormat, "not a Kaggle CSV, MNIST IDX or NumPy .npz file, nor a TFRecord (first bytes \(head)\(asRecords))")
        }
    }

    /// The file's bytes, gunzipped when they start with gzip's signature.
    static func readMaybeGzipped(_ path: String, limits: DatasetLimits) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError(.io, "\(path): cannot read the file")
        }
        do {
            return try gunzipIfNeeded([UInt8](data), limits: limits)
        } catch let error as DatasetError {
            throw error.inFile(path)
        }
    }

    static func gunzipIfNeeded(_ bytes: [UInt8], limits: DatasetLimits) throws -> [UInt8] {
        guard Gzip.hasSignature(bytes) else { return bytes }
        do {
            return try Gzip.decompress(bytes, maxOutputBytes: limits.maxDecompressedBytes)
        } catch {
            throw DatasetError.invalid("the gzip data is damaged: \(error)")
        }
    }

    /// `.../train-images-idx3-ubyte.gz` -> `.../train-labels-idx1-ubyte.gz` (the first that exists,
    /// with or without .gz).
    static func idxLabelsPath(for imagesPath: String) throws -> String {
        let url = URL(fileURLWithPath: imagesPath)
        let name = url.lastPathComponent
        guard name.contains("images") else {
            throw DatasetError.invalid("cannot find the labels file for an IDX images file whose name lacks 'images'")
        }
        var base = name.replacingOccurrences(of: "images", with: "labels").replacingOccurrences(of: "idx3", with: "idx1")
            .replacingOccurrences(of: "idx4", with: "idx1")
        if base.hasSuffix(".gz") { base.removeLast(3) }
        let folder = url.deletingLastPathComponent()
        for candidate in [base, base + ".gz"] {
            let path = folder.appendingPathComponent(candidate).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw DatasetError.invalid("the labels file \(base)[.gz] is not beside the images file")
    }

    private static func loadIDXDirectory(_ path: String, options: Options) throws -> DatasetSplits {
        let folder = URL(fileURLWithPath: path)
        func find(_ stem: String) -> String? {
            for candidate in [stem, stem + ".gz"] {
                let file = folder.appendingPathComponent(candidate).path
                if FileManager.default.fileExists(atPath: file) { return file }
            }
            return nil
        }
        func pair(_ prefix: String) throws -> LabelledImages? {
            guard let images = find("\(prefix)-images-idx3-ubyte") else { return nil }
            guard let labels = find("\(prefix)-labels-idx1-ubyte") else {
                throw DatasetError.invalid("\(path): \(prefix)-images-idx3-ubyte has no \(prefix)-labels-idx1-ubyte beside it")
            }
            do {
                return try MNISTIDX.read(images: try readMaybeGzipped(images, limits: options.limits),
                                         labels: try readMaybeGzipped(labels, limits: options.limits),
                                         classNames: options.classNames, limits: options.limits)
            } catch let error as DatasetError {
                throw error.inFile(images)
            }
        }
        guard let training = try pair("train") else {
            throw DatasetError.invalid("\(path): a directory must hold MNIST's train-images-idx3-ubyte and train-labels-idx1-ubyte (optionally .gz)")
        }
        return DatasetSplits(training: training, test: try pair("t10k"))
    }
}
