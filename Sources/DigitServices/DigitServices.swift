import MAXFramework

/// The contracts of the digit services users come from, served beside MAX's routes by the
/// default model: the Kaggle recognizer's `POST /predict` and Kaggle CSV on the predict routes,
/// and the orchestration engine's `POST /compute` with its announce loop.
public enum DigitServices {
    /// Kaggle rows and CSV: on for every model that takes a JSON body.
    public static let kaggle = RouteProvider(name: "kaggle") { context in
        KaggleRoutes.routes(context)
    }

    /// The orchestration engine's contract: `/compute` always (for a model that takes files);
    /// the announce loop when `engine.url` and `engine.service_url` are set.
    public static let engine = RouteProvider(name: "engine") { context in
        try EngineRoutes.routes(context)
    }
}
