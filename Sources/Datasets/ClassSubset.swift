/// A subset of the classes of a labelled set: the orchestration engine's `numbers` parameter
/// ("the digits the model must detect"), `--numbers 0,1,7` on the command line.
extension LabelledImages {
    /// The images of the named classes only, in their original order, relabelled 0..<names.count
    /// in the order of `names`, whose names become the class list. A model trained on the
    /// result has one output per kept class; files written from it keep the class names (the
    /// digits) as labels (see `TFRecordImages.storedLabel`).
    public func selecting(classes names: [String]) throws -> LabelledImages {
        guard !names.isEmpty else { throw DatasetError.invalid("the subset names no classes") }
        for (position, name) in names.enumerated() {
            guard classNames.contains(name) else {
                throw DatasetError.invalid("'\(name)' is not a class of this data (its classes are \(Self.describe(classNames)))")
            }
            guard !names[..<position].contains(name) else { throw DatasetError.invalid("class '\(name)' is named twice in the subset") }
        }
        let result = relabelled(as: names)
        guard !result.isEmpty else {
            throw DatasetError.invalid("no image is of class \(names.joined(separator: ", ")): the subset is empty (the data holds \(describeCounts()))")
        }
        return result
    }

    /// The images whose class is one of `names`, labelled by their position in `names` (which
    /// may name classes this data lacks, e.g. a model's "not a digit" class): how a data set is
    /// put in a model's class order before scoring it. Images of other classes are left out.
    public func relabelled(as names: [String]) -> LabelledImages {
        var position: [String: Int] = [:]
        for (index, name) in names.enumerated() where position[name] == nil { position[name] = index }
        let newIndex = classNames.map { position[$0] ?? -1 }
        var kept: [Int] = []
        for (index, label) in labels.enumerated() where newIndex[label] >= 0 { kept.append(index) }
        let picked = kept.count == count ? self : subset(kept)
        return LabelledImages(unchecked: shape, pixels: picked.pixels, labels: kept.map { newIndex[labels[$0]] }, classNames: names)
    }

    /// "0-9" for the ten digits, else the names listed.
    static func describe(_ names: [String]) -> String {
        names == digitClassNames(names.count) && names.count > 2 ? "0-\(names.count - 1)" : names.joined(separator: ", ")
    }

    /// "1,000 images: 0 x 98, 1 x 113, ..." for messages and `dataset info`.
    public func describeCounts() -> String {
        let counts = labelCounts()
        let parts = classNames.indices.filter { counts[$0] > 0 }.map { "\(classNames[$0]) x \(counts[$0])" }
        return "\(count) image\(count == 1 ? "" : "s")" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }
}

/// Parses a list of class names as the command line and params.yaml give it: "0,1,7",
/// "[0, 1, 7]" or "0 1 7".
public enum ClassList {
    public static func parse(_ text: String) throws -> [String] {
        let trimmed = text.trimming(" []\t\n")
        let names = trimmed.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map {
            String($0).trimming(" '\"")
        }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw DatasetError.invalid("the list of classes '\(text)' is empty") }
        return names
    }
}

private extension String {
    func trimming(_ characters: String) -> String {
        let set = Set(characters)
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}

extension DatasetSplits {
    /// Both parts restricted to the named classes (see `LabelledImages.selecting(classes:)`).
    public func selecting(classes names: [String]) throws -> DatasetSplits {
        let training = try self.training.selecting(classes: names)
        var test: LabelledImages?
        if let part = self.test {
            do {
                test = try part.selecting(classes: names)
            } catch let error as DatasetError {
                throw DatasetError(error.kind, "the test part: \(error.message)")
            }
        }
        return DatasetSplits(training: training, test: test)
    }
}
