import MAXFramework

enum MetadataCommand {
    /// `max-server metadata`: the JSON GET /model/metadata would return.
    static let command = Command(
        name: "metadata",
        summary: "print the model's metadata as GET /model/metadata returns it",
        help: """
        usage: max-server metadata [OPTIONS]

        Loads the configured model (verifying its assets) and prints its metadata JSON.

        options:
        \(ServiceOptions.help)
        """,
        spec: ArgumentSpec(valued: ServiceOptions.valued, maxPositionals: 0),
        run: { arguments in
            let (configuration, logger) = try ServiceOptions.configuration(arguments)
            do {
                let model = try MAXService.loadModel(configuration, plugins: registeredPlugins, logger: logger)
                print(String(decoding: model.metadataBody, as: UTF8.self))
            } catch {
                throw ServiceOptions.failure(error)
            }
            return 0
        })
}
