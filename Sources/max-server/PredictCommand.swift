import Foundation
import MAXFramework

enum PredictCommand {
    /// `max-server predict FILE...`: the plugin pipeline without HTTP, one JSON line per file.
    static let command = Command(
        name: "predict",
        summary: "run the model on files and print the JSON POST /model/predict returns",
        help: """
        usage: max-server predict [OPTIONS] FILE...

        Runs preProcess, predict and postProcess on each file and prints one line of JSON per
        file, exactly as POST /model/predict answers. For a model that takes JSON, a file whose
        name ends in .json (any file, if the model takes no files) is its JSON body. Exits 1 if
        any file failed.

        options:
          --query NAME=VALUE query parameter passed to the model, repeatable as NAME=VALUE,NAME=VALUE
        \(ServiceOptions.help)
        """,
        spec: ArgumentSpec(valued: ServiceOptions.valued.union(["--query"]), minPositionals: 1),
        run: { arguments in
            let query = try parseQuery(arguments.value("--query"))  // usage errors before any output
            let (configuration, logger) = try ServiceOptions.configuration(arguments)
            let model: AnyModel
            do {
                model = try MAXService.loadModel(configuration, plugins: registeredPlugins, logger: logger)
            } catch {
                throw ServiceOptions.failure(error)
            }
            var status: Int32 = 0
            for path in arguments.positionals {
                let bytes: [UInt8]
                do {
                    bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                } catch {
                    print(PredictionEnvelope.failure("cannot read \(path): \(error.localizedDescription)").serialized)
                    status = 1
                    continue
                }
                let name = URL(fileURLWithPath: path).lastPathComponent
                let upload: ModelInput
                if model.input.json != nil && (model.input.files == nil || name.lowercased().hasSuffix(".json")) {
                    do {
                        upload = ModelInput(.json(try JSONValue.parse(bytes)), query: query)
                    } catch {
                        print(PredictionEnvelope.failure("\(path) is not valid JSON: \(error)").serialized)
                        status = 1
                        continue
                    }
                } else {
                    upload = ModelInput(bytes: bytes, contentType: nil, fileName: name, query: query)
                }
                let outcome = model.respond(to: upload, logger: logger)
                print(outcome.json.serialized)
                if !outcome.succeeded { status = 1 }
            }
            return status
        })

    private static func parseQuery(_ text: String?) throws -> [(name: String, value: String)] {
        guard let text, !text.isEmpty else { return [] }
        return try text.split(separator: ",").map { pair in
            guard let equals = pair.firstIndex(of: "=") else { throw UsageError("--query expects NAME=VALUE, got '\(pair)'") }
            return (name: String(pair[..<equals]), value: String(pair[pair.index(after: equals)...]))
        }
    }
}
