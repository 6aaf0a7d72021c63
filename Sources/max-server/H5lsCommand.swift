import Foundation
import HDF5

/// `max-server h5ls FILE`: the tree of an HDF5 file with shapes, datatypes and attributes, for
/// users checking what a Keras weights file holds (in the spirit of `h5ls -r -v`).
enum H5lsCommand {
    static let command = Command(
        name: "h5ls",
        summary: "list an HDF5 file's groups, datasets and attributes",
        help: """
            usage: max-server h5ls FILE [--values] [--bench N]

            Prints every group and dataset of FILE recursively, with dataset shapes, datatypes
            and storage, and every attribute with its value (long values shortened).

            options:
              --values     also print each dataset's first values
              --bench N    open the file and read every dataset N times; print the mean time
            """,
        spec: ArgumentSpec(valued: ["--bench"], flags: ["--values"], maxPositionals: 1, minPositionals: 1),
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        let path = arguments.positionals[0]
        if let iterations = try arguments.int("--bench") {
            guard iterations > 0 else { throw UsageError("--bench expects a positive count") }
            try benchmark(path, iterations: iterations)
            return 0
        }
        let file: HDF5File
        do {
            file = try HDF5File(path: path)
        } catch let error as HDF5Error {
            throw CommandFailure("\(path): \(error)")
        }
        var failures = 0
        print("/".padding(toLength: 40, withPad: " ", startingAt: 0) + " Group (superblock v\(file.superblockVersion))")
        failures += printAttributes { try file.root.attributes() }
        var seen: Set<String> = []
        do {
            try list(file.root, showValues: arguments.has("--values"), seen: &seen, failures: &failures)
        } catch {
            throw CommandFailure("\(path): \(error)")
        }
        return failures == 0 ? 0 : 1
    }

    /// Prints the members of `group`, then recurses into subgroups (each group once).
    private static func list(_ group: HDF5Group, showValues: Bool, seen: inout Set<String>, failures: inout Int) throws {
        for (name, target) in try group.linkTargets() {
            let path = group.path == "/" ? "/" + name : group.path + "/" + name
            let column = path.padding(toLength: max(40, path.count), withPad: " ", startingAt: 0)
            switch target {
            case .soft(let destination):
                print(column + " Soft Link {\(destination)}")
                continue
            case .external(let file, let destination):
                print(column + " External Link {\(file)/\(destination)}")
                continue
            case .userDefined(let type):
                print(column + " User-defined Link (type \(type))")
                continue
            case .hard:
                break
            }
            switch try group.node(named: name) {
            case .group(let child):
                print(column + " Group")
                failures += printAttributes { try child.attributes() }
                if seen.insert(child.path).inserted {
                    try list(child, showValues: showValues, seen: &seen, failures: &failures)
                }
            case .dataset(let dataset):
                let shape = dataset.shape.isEmpty ? "scalar" : "{" + dataset.shape.map(String.init).joined(separator: ", ") + "}"
                print(column + " Dataset \(shape) \(dataset.datatype) \(dataset.storageDescription)")
                failures += printAttributes { try dataset.attributes() }
                if showValues {
                    do {
                        print("    Data: " + describe(try dataset.readValue()))
                    } catch {
                        print("    Data: error: \(error)")
                        failures += 1
                    }
                }
            }
        }
    }

    /// Prints attributes indented under their object; returns 1 when they could not be read.
    private static func printAttributes(_ read: () throws -> [(name: String, value: HDF5Value)]) -> Int {
        do {
            for (name, value) in try read() {
                print("    Attribute: \(name) \(describe(value))")
            }
            return 0
        } catch {
            print("    Attributes: error: \(error)")
            return 1
        }
    }

    /// A one-line rendering: shape, kind and the first few values.
    static func describe(_ value: HDF5Value) -> String {
        let shape = value.shape.isEmpty ? "scalar" : "{" + value.shape.map(String.init).joined(separator: ", ") + "}"
        let limit = 8
        func shorten(_ items: [String]) -> String {
            let shown = items.prefix(limit).joined(separator: ", ")
            return items.count > limit ? shown + ", ... (\(items.count) values)" : shown
        }
        switch value {
        case .strings(let strings, _):
            let quoted = strings.map { string -> String in
                let flat = string.replacingOccurrences(of: "\n", with: "\\n")
                return "\"" + (flat.count > 100 ? String(flat.prefix(100)) + "..." : flat) + "\""
            }
            return "\(shape) string \(shorten(quoted))"
        case .integers(let numbers, _):
            return "\(shape) integer \(shorten(numbers.map(String.init)))"
        case .floats(let numbers, _):
            return "\(shape) float \(shorten(numbers.map { String($0) }))"
        }
    }

    /// Opens `path` and reads every numeric dataset as floats, `iterations` times.
    private static func benchmark(_ path: String, iterations: Int) throws {
        var datasets = 0
        var values = 0
        var times: [Double] = []
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            let file = try HDF5File(path: path)
            datasets = 0
            values = 0
            try file.walk { node in
                if case .dataset(let dataset) = node, dataset.datatype.isNumeric {
                    values += try dataset.readFloats().count
                    datasets += 1
                }
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let mean = times.reduce(0, +) / Double(times.count)
        let best = times.min() ?? 0
        print(String(format: "h5ls --bench: %d datasets, %d values; mean %.3f ms, best %.3f ms over %d runs (open + read all)",
                     datasets, values, mean, best, iterations))
    }
}
