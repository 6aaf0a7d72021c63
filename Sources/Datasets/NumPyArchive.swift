import Compression

/// NumPy's `.npz`: a zip of `.npy` arrays (`numpy.savez`, stored, or `savez_compressed`,
/// deflated). Keras's `mnist.npz` holds `x_train` (N x 28 x 28 uint8), `y_train` (N labels),
/// `x_test` and `y_test`; other archives with those names load the same way.
public enum NumPyArchive {
    public static func hasSignature(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) }

    /// Every array in the archive, by name without the `.npy` suffix.
    public static func arrays(_ bytes: [UInt8], limits: DatasetLimits = .default) throws -> [String: NumPyArray] {
        let archive: ZipArchive
        do {
            archive = try ZipArchive(bytes: bytes)
        } catch {
            throw DatasetError.invalid("not a readable .npz (zip) archive: \(error)")
        }
        var arrays: [String: NumPyArray] = [:]
        for entry in archive.entries where entry.name.hasSuffix(".npy") && !entry.isDirectory {
            let name = String(entry.name.dropLast(4))
            let contents: [UInt8]
            do {
                contents = try archive.contents(of: entry, maxOutputBytes: limits.maxDecompressedBytes)
            } catch {
                throw DatasetError.invalid("cannot extract \(entry.name): \(error)")
            }
            do {
                arrays[name] = try NumPyArray(bytes: contents, limits: limits)
            } catch let error as DatasetError {
                throw error.inFile(entry.name)
            }
        }
        return arrays
    }

    /// Keras's `mnist.npz` layout: `x_train`/`y_train`, and `x_test`/`y_test` when present.
    public static func readKerasDataset(_ bytes: [UInt8], classNames: [String] = LabelledImages.digitClassNames(),
                                        limits: DatasetLimits = .default) throws -> DatasetSplits {
        let arrays = try arrays(bytes, limits: limits)
        guard arrays["x_train"] != nil, arrays["y_train"] != nil else {
            throw DatasetError.invalid("the .npz holds \(arrays.keys.sorted()); Keras's layout needs x_train and y_train (and x_test, y_test)")
        }
        func pair(_ x: String, _ y: String) throws -> LabelledImages? {
            guard let images = arrays[x] else { return nil }
            guard let labels = arrays[y] else { throw DatasetError.invalid("the .npz has \(x) but no \(y)") }
            return try labelled(images: images, labels: labels, names: (x, y), classNames: classNames)
        }
        guard let training = try pair("x_train", "y_train") else { throw DatasetError.invalid("the .npz has no x_train") }
        return DatasetSplits(training: training, test: try pair("x_test", "y_test"))
    }

    static func labelled(images: NumPyArray, labels: NumPyArray, names: (String, String),
                         classNames: [String]) throws -> LabelledImages {
        let shape = images.shape
        guard shape.count == 3 || shape.count == 4, shape[0] > 0 else {
            throw DatasetError.invalid("\(names.0) has shape \(shape); N x height x width (x channels) with N > 0 is expected")
        }
        let labelShape = labels.shape
        guard labelShape == [shape[0]] || labelShape == [shape[0], 1] else {
            throw DatasetError.invalid("\(names.1) has shape \(labelShape); one label per image of \(names.0) (\(shape[0])) is expected")
        }
        let values = try labels.integers(what: names.1)
        if let bad = values.firstIndex(where: { $0 < 0 || $0 >= classNames.count }) {
            throw DatasetError.invalid("\(names.1)[\(bad)] is \(values[bad]), outside 0-\(classNames.count - 1)")
        }
        return try LabelledImages(shape: ImageShape(height: shape[1], width: shape[2], channels: shape.count == 4 ? shape[3] : 1),
                                  pixels: images.values, labels: values, classNames: classNames)
    }
}
